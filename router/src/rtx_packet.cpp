#include <parley/router/rtx_packet.h>

#include <cstring>

namespace parley::router {
namespace {

constexpr std::size_t kOriginalSequenceBytes = 2;

} // namespace

std::size_t writeRtxCopy(std::span<const std::uint8_t> packet, const RtpView& view, std::uint32_t ssrc,
                         std::uint8_t payloadType, std::uint16_t sequence, SrtpSession& session,
                         std::span<std::uint8_t> slot)
{
    const std::size_t headerLength = 12 + 4 * (packet[0] & 0x0f);
    const std::size_t bodyLength = packet.size() - view.payloadOffset; // payload and padding
    const std::size_t plainLength = headerLength + kOriginalSequenceBytes + bodyLength;
    if (plainLength + kSrtpMaxTrailer > slot.size())
        return 0;
    std::memcpy(slot.data(), packet.data(), headerLength);
    slot[headerLength] = static_cast<std::uint8_t>(view.sequence >> 8);
    slot[headerLength + 1] = static_cast<std::uint8_t>(view.sequence);
    std::memcpy(slot.data() + headerLength + kOriginalSequenceBytes, packet.data() + view.payloadOffset, bodyLength);
    slot[0] &= static_cast<std::uint8_t>(~0x10); // no extension
    writeRtpSsrc(slot, ssrc);
    writeRtpPayloadType(slot, payloadType);
    writeRtpSequence(slot, sequence);
    return session.protectRtp(slot.data(), plainLength, slot.size());
}

std::span<std::uint8_t> restoreFromRtx(std::span<std::uint8_t> packet, const RtpView& view, std::uint32_t ssrc,
                                       std::uint8_t payloadType)
{
    if (view.payloadLength <= kOriginalSequenceBytes)
        return {};
    const auto original = static_cast<std::uint16_t>(packet[view.payloadOffset] << 8 | packet[view.payloadOffset + 1]);
    // The header moves onto the original sequence number, so the payload follows it again.
    std::memmove(packet.data() + kOriginalSequenceBytes, packet.data(), view.payloadOffset);
    auto restored = packet.subspan(kOriginalSequenceBytes);
    writeRtpSsrc(restored, ssrc);
    writeRtpPayloadType(restored, payloadType);
    writeRtpSequence(restored, original);
    return restored;
}

} // namespace parley::router
