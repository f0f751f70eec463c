#include <parley/router/packet_kind.h>

namespace parley::router {

PacketKind classify(std::span<const std::uint8_t> packet)
{
    if (packet.empty())
        return PacketKind::Unknown;
    const auto first = packet[0];
    if (first <= 3)
        return packet.size() >= 20 ? PacketKind::Stun : PacketKind::Unknown;
    if (first >= 20 && first <= 63)
        return packet.size() >= 13 ? PacketKind::Dtls : PacketKind::Unknown;
    if (first >= 128 && first <= 191) {
        if (packet.size() < 4)
            return PacketKind::Unknown;
        // RTCP packet types 192-223 occupy the second byte where RTP has marker + payload type.
        const auto second = packet[1];
        if (second >= 192 && second <= 223)
            return packet.size() >= 8 ? PacketKind::Rtcp : PacketKind::Unknown;
        return packet.size() >= 12 ? PacketKind::Rtp : PacketKind::Unknown;
    }
    return PacketKind::Unknown;
}

} // namespace parley::router
