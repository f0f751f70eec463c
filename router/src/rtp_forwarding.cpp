#include "rtp_forwarding.h"

#include <cstring>

namespace parley::router {

std::size_t writeForwardedCopy(std::span<const std::uint8_t> packet, const RtpView& view,
                               std::uint32_t ssrc, std::uint8_t payloadType, SrtpSession& session,
                               std::span<std::uint8_t> slot, const CopyExtension& extension)
{
    const std::size_t fixedLength = 12 + 4 * (packet[0] & 0x0f);
    // One 0xBEDE block of one word: element header and up to 3 bytes of value.
    const std::size_t extensionLength = extension.id ? 8 : 0;
    const std::size_t headerLength = fixedLength + extensionLength;
    const std::size_t bodyLength = packet.size() - view.payloadOffset;
    const std::size_t plainLength = headerLength + bodyLength;
    if (plainLength + kSrtpMaxTrailer > slot.size())
        return 0;
    std::memcpy(slot.data(), packet.data(), fixedLength);
    slot[0] &= static_cast<std::uint8_t>(~0x10);
    if (extension.id) {
        slot[0] |= 0x10;
        std::uint8_t* block = slot.data() + fixedLength;
        block[0] = 0xBE;
        block[1] = 0xDE;
        block[2] = 0;
        block[3] = 1;
        block[4] = static_cast<std::uint8_t>(extension.id << 4 | (extension.length - 1));
        block[5] = extension.value[0];
        block[6] = extension.length > 1 ? extension.value[1] : 0;
        block[7] = extension.length > 2 ? extension.value[2] : 0;
    }
    std::memcpy(slot.data() + headerLength, packet.data() + view.payloadOffset, bodyLength);
    writeRtpSsrc(slot, ssrc);
    writeRtpPayloadType(slot, payloadType);
    return session.protectRtp(slot.data(), plainLength, slot.size());
}

} // namespace parley::router
