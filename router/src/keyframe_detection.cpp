#include <parley/router/keyframe_detection.h>

namespace parley::router {
namespace {

constexpr std::uint8_t kH264Idr = 5;
constexpr std::uint8_t kH264Sps = 7;
constexpr std::uint8_t kH264StapA = 24;
constexpr std::uint8_t kH264FuA = 28;

bool vp8StartsKeyframe(std::span<const std::uint8_t> p)
{
    // Payload descriptor: X R N S R PID(3); S=1 and PID=0 is the start of the frame.
    if (p.empty() || !(p[0] & 0x10) || (p[0] & 0x07) != 0)
        return false;
    std::size_t at = 1;
    if (p[0] & 0x80) { // X: I L T K follow
        if (at >= p.size())
            return false;
        const auto x = p[at++];
        if (x & 0x80) { // I: PictureID, 7 or 15 bits
            if (at >= p.size())
                return false;
            at += (p[at] & 0x80) ? 2 : 1;
        }
        if (x & 0x40) // L: TL0PICIDX
            ++at;
        if (x & 0x30) // T or K: TID/Y/KEYIDX
            ++at;
    }
    // Frame header: bit 0 of the first byte is P, the inverse key frame flag.
    return at < p.size() && (p[at] & 0x01) == 0;
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
