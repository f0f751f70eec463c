#pragma once

#include "participant.h"
#include "rtp_forwarding.h"
#include "udp_socket.h"

#include <parley/router/rtp_packet.h>

#include <cstdint>
#include <span>

namespace parley::router {

/// Everything the router sends to a participant goes through here into the worker's send
/// batch (sent with sendmmsg when the batch is flushed): protected with the participant's
/// SRTP session where it is media or RTCP, and counted in its outgoing traffic meter.
/// Nothing is sent to a participant without a checked address. What is sent spends the
/// participant's pacing budget (Pacer). Allocates nothing.
class PacketSender
{
public:
    explicit PacketSender(SendBatch& batch) : batch_(batch) {}

    /// A datagram as it is (DTLS records).
    void sendRaw(Participant& to, std::span<const std::uint8_t> datagram);
    /// Plain RTCP, protected with SRTCP.
    void sendRtcp(Participant& to, std::span<const std::uint8_t> plain);
    /// A copy of the decrypted RTP `packet` (parsed as `view`) with `header` (see
    /// writeCopy), protected; false when nothing was sent (not reachable, or protection
    /// failed). Where `to` gets transport-wide feedback, the copy carries the next
    /// transport-wide sequence number and its estimator remembers it.
    bool sendCopy(Participant& to, std::span<const std::uint8_t> packet, const RtpView& view, CopyHeader header);

    /// `bytes` of padding (at most 255) under `header` (an RTX stream's), as part of a
    /// bandwidth probe; false when nothing was sent.
    bool sendPadding(Participant& to, CopyHeader header, std::size_t bytes);

    /// The time stamped on what is sent from now on, for the send-side estimates (the
    /// worker sets it per batch: packets leave within the batch's handling).
    void setTime(std::int64_t nowMicros) { now_ = nowMicros; }
    std::int64_t now() const { return now_; }

    SendBatch& batch() { return batch_; }

private:
    /// Puts `to`'s next transport-wide sequence number into `header` where it has one.
    static void stampTransportSequence(Participant& to, CopyHeader& header);
    void commitMedia(Participant& to, std::size_t length, bool probe);

    SendBatch& batch_;
    std::int64_t now_ = 0;
};

} // namespace parley::router
