#include <parley/router/rtx_packet.h>

#include <cstring>

namespace parley::router {
namespace {

constexpr std::size_t kOriginalSequenceBytes = 2;

} // namespace

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
