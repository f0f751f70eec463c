#pragma once

#include <cstdint>
#include <span>

namespace parley::router {

/// What arrived on the shared media port.
enum class PacketKind
{
    Stun,
    Dtls,
    Rtp,
    Rtcp,
    Unknown,
};

/// Demultiplexes by the first byte as RFC 7983 does (0-3 STUN, 20-63 DTLS, 128-191 RTP or
/// RTCP), then tells RTCP from RTP by payload type 192-223 (RFC 5761). Never reads past the
/// span; anything too short or outside those ranges is Unknown.
PacketKind classify(std::span<const std::uint8_t> packet);

} // namespace parley::router
