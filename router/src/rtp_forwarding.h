#pragma once

#include <parley/router/rtp_packet.h>
#include <parley/router/srtp_session.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace parley::router {

/// Writes one subscriber's copy of a decrypted RTP packet into `slot`: the fixed header and
/// CSRCs, then the payload (the header extension is dropped: the subscriber's section
/// negotiates none), with the subscriber's SSRC and payload type, protected with its SRTP
/// session. Returns the length to send, or 0 when protection fails. Allocates nothing.
std::size_t writeForwardedCopy(std::span<const std::uint8_t> packet, const RtpView& view,
                               std::uint32_t ssrc, std::uint8_t payloadType, SrtpSession& session,
                               std::span<std::uint8_t> slot);

} // namespace parley::router
