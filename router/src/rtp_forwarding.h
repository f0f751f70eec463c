#pragma once

#include <parley/router/rtp_packet.h>
#include <parley/router/srtp_session.h>
#include <parley/router/vp8_descriptor.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace parley::router {

/// One header extension element a copy carries (RFC 8285, one-byte form); none when id is 0.
struct CopyExtension
{
    std::uint8_t id = 0;
    std::uint8_t length = 0; ///< 1 to 3
    std::array<std::uint8_t, 3> value{};
};

/// What a subscriber's copy of a publisher's packet says differently: its SSRC, payload
/// type, sequence number and timestamp (simulcast switches make them continuous), VP8
/// picture ids, and the header extensions negotiated with the subscriber. For a resend in
/// RTX format (RFC 4588) the RTX stream's SSRC, payload type and sequence number, and the
/// sequence number of the packet it repeats.
struct CopyHeader
{
    std::uint32_t ssrc = 0;
    std::uint8_t payloadType = 0;
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    /// Set: the payload's VP8 descriptor, whose picture id and TL0PICIDX become these.
    const Vp8Descriptor* vp8 = nullptr;
    std::uint16_t pictureId = 0;
    std::uint8_t tl0PicIdx = 0;
    bool rtx = false;
    std::uint16_t originalSequence = 0; ///< with `rtx`
    CopyExtension playoutDelay;
    CopyExtension transportSequence; ///< filled in by the PacketSender
};

/// The header a copy of `view` has without rewriting (plain forwarding, a single layer).
inline CopyHeader unchangedHeader(const RtpView& view, std::uint32_t ssrc, std::uint8_t payloadType)
{
    CopyHeader header;
    header.ssrc = ssrc;
    header.payloadType = payloadType;
    header.sequence = view.sequence;
    header.timestamp = view.timestamp;
    return header;
}

/// Writes one subscriber's copy of a decrypted RTP packet into `slot`: the fixed header and
/// CSRCs as `header` says, its extension elements (the publisher's own are dropped: they were
/// negotiated with the publisher, not the subscriber), in RTX format the original sequence
/// number, then the payload (padding kept) with the VP8 ids rewritten; protected with
/// `session`. Returns the length to send, or 0 when it does not fit or protection fails.
/// Allocates nothing.
std::size_t writeCopy(std::span<const std::uint8_t> packet, const RtpView& view, const CopyHeader& header,
                      SrtpSession& session, std::span<std::uint8_t> slot);

/// Writes a padding-only packet (RFC 3550 5.1: the P bit, `paddingBytes` of padding, the
/// last holding the count) under `header`'s SSRC, payload type, sequence number and
/// timestamp, with its extension elements; browsers count it for bandwidth and drop it.
/// `paddingBytes` is 1 to 255. Returns the length to send, 0 when protection fails.
std::size_t writePaddingPacket(const CopyHeader& header, std::size_t paddingBytes, SrtpSession& session,
                               std::span<std::uint8_t> slot);

} // namespace parley::router
