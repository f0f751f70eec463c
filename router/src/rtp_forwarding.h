#pragma once

#include <parley/router/rtp_packet.h>
#include <parley/router/srtp_session.h>

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

/// Writes one subscriber's copy of a decrypted RTP packet into `slot`: the fixed header and
/// CSRCs, then `extension` if it has one (the publisher's own extensions are dropped: they
/// were negotiated with the publisher, not the subscriber), then the payload, with the
/// subscriber's SSRC and payload type, protected with its SRTP session. Returns the length
/// to send, or 0 when protection fails. Allocates nothing.
std::size_t writeForwardedCopy(std::span<const std::uint8_t> packet, const RtpView& view,
                               std::uint32_t ssrc, std::uint8_t payloadType, SrtpSession& session,
                               std::span<std::uint8_t> slot, const CopyExtension& extension = {});

} // namespace parley::router
