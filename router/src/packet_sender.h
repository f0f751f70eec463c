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
/// Nothing is sent to a participant without a checked address. Allocates nothing.
class PacketSender
{
public:
    explicit PacketSender(SendBatch& batch) : batch_(batch) {}

    /// A datagram as it is (DTLS records).
    void sendRaw(Participant& to, std::span<const std::uint8_t> datagram);
    /// Plain RTCP, protected with SRTCP.
    void sendRtcp(Participant& to, std::span<const std::uint8_t> plain);
    /// A copy of the decrypted RTP `packet` under `ssrc` and `payloadType`, protected; false
    /// when nothing was sent (not reachable, or protection failed).
    bool sendRtp(Participant& to, std::span<const std::uint8_t> packet, const RtpView& view, std::uint32_t ssrc,
                 std::uint8_t payloadType, const CopyExtension& extension = {});

    /// A resend of the decrypted RTP `packet` in RTX format under `ssrc`, `payloadType` and
    /// `sequence`; false when nothing was sent.
    bool sendRtx(Participant& to, std::span<const std::uint8_t> packet, const RtpView& view, std::uint32_t ssrc,
                 std::uint8_t payloadType, std::uint16_t sequence);

    SendBatch& batch() { return batch_; }

private:
    SendBatch& batch_;
};

} // namespace parley::router
