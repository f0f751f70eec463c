#include <parley/router/keyframe_detection.h>
#include <parley/router/vp8_descriptor.h>

namespace parley::router {
namespace {

constexpr std::uint8_t kH264Idr = 5;
constexpr std::uint8_t kH264Sps = 7;
constexpr std::uint8_t kH264StapA = 24;
constexpr std::uint8_t kH264FuA = 28;

bool vp8StartsKeyframe(std::span<const std::uint8_t> p)
{
    // The first packet of a frame; bit 0 of the frame tag is P, the inverse key frame flag.
    Vp8Descriptor d;
    return parseVp8Descriptor(p, d) && d.startOfPartition && (p[d.dataOffset] & 0x01) == 0;
}

bool h264StartsKeyframe(std::span<const std::uint8_t> p)
{
    if (p.empty())
        return false;
    const auto type = static_cast<std::uint8_t>(p[0] & 0x1f);
    if (type == kH264Idr || type == kH264Sps)
        return true;
    if (type == kH264StapA) {
        // Aggregated units: 16-bit size, then the unit; an IDR or SPS anywhere counts.
        for (std::size_t at = 1; at + 2 < p.size();) {
            const std::size_t size = std::size_t(p[at]) << 8 | p[at + 1];
            if (size == 0 || at + 2 + size > p.size())
                return false;
            const auto inner = static_cast<std::uint8_t>(p[at + 2] & 0x1f);
            if (inner == kH264Idr || inner == kH264Sps)
                return true;
            at += 2 + size;
        }
        return false;
    }
    // FU-A: the start fragment (S bit) of an IDR slice.
    return type == kH264FuA && p.size() >= 2 && (p[1] & 0x80) && (p[1] & 0x1f) == kH264Idr;
}

} // namespace

bool startsKeyframe(std::string_view codec, std::span<const std::uint8_t> payload)
{
    if (codec == "VP8")
        return vp8StartsKeyframe(payload);
    if (codec == "H264")
        return h264StartsKeyframe(payload);
    return false;
}

} // namespace parley::router
