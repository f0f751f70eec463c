#include "rtp_forwarding.h"

#include <cstring>

namespace parley::router {

std::size_t writeForwardedCopy(std::span<const std::uint8_t> packet, const RtpView& view,
                               std::uint32_t ssrc, std::uint8_t payloadType, SrtpSession& session,
                               std::span<std::uint8_t> slot)
{
    const std::size_t headerLength = 12 + 4 * (packet[0] & 0x0f);
    const std::size_t bodyLength = packet.size() - view.payloadOffset;
    const std::size_t plainLength = headerLength + bodyLength;
    if (plainLength + kSrtpMaxTrailer > slot.size())
        return 0;
    std::memcpy(slot.data(), packet.data(), headerLength);
    std::memcpy(slot.data() + headerLength, packet.data() + view.payloadOffset, bodyLength);
    slot[0] &= static_cast<std::uint8_t>(~0x10);
    writeRtpSsrc(slot, ssrc);
    writeRtpPayloadType(slot, payloadType);
    return session.protectRtp(slot.data(), plainLength, slot.size());
}

} // namespace parley::router
