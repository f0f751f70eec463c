#include <parley/router/vp8_descriptor.h>

namespace parley::router {
namespace {

constexpr std::uint8_t kExtended = 0x80;    // X
constexpr std::uint8_t kStart = 0x10;       // S
constexpr std::uint8_t kPartition = 0x07;   // PID
constexpr std::uint8_t kHasPictureId = 0x80; // I
constexpr std::uint8_t kHasTl0 = 0x40;      // L
constexpr std::uint8_t kHasTidOrKey = 0x30; // T, K
constexpr std::uint8_t kLongPictureId = 0x80; // M
// A keyframe's data: 3-byte frame tag, start code, then 14-bit width and height.
constexpr std::size_t kKeyframeHeaderBytes = 10;

} // namespace

bool parseVp8Descriptor(std::span<const std::uint8_t> p, Vp8Descriptor& d)
{
    d = {};
    if (p.empty())
        return false;
    d.startOfPartition = (p[0] & kStart) && (p[0] & kPartition) == 0;
    std::size_t at = 1;
    if (p[0] & kExtended) {
        if (at >= p.size())
            return false;
        const auto x = p[at++];
        if (x & kHasPictureId) {
            if (at >= p.size())
                return false;
            d.pictureIdOffset = at;
            d.longPictureId = p[at] & kLongPictureId;
            if (d.longPictureId) {
                if (at + 1 >= p.size())
                    return false;
                d.pictureId = static_cast<std::uint16_t>((p[at] & 0x7f) << 8 | p[at + 1]);
                at += 2;
            }
            else {
                d.pictureId = p[at] & 0x7f;
                ++at;
            }
        }
        if (x & kHasTl0) {
            if (at >= p.size())
                return false;
            d.tl0Offset = at;
            d.tl0PicIdx = p[at++];
        }
        if (x & kHasTidOrKey)
            ++at;
    }
    if (at >= p.size())
        return false;
    d.dataOffset = at;
    return true;
}

void rewriteVp8Descriptor(std::span<std::uint8_t> p, const Vp8Descriptor& d, std::uint16_t pictureId,
                          std::uint8_t tl0PicIdx)
{
    if (d.pictureIdOffset) {
        if (d.longPictureId) {
            p[d.pictureIdOffset] = static_cast<std::uint8_t>(kLongPictureId | (pictureId >> 8 & 0x7f));
            p[d.pictureIdOffset + 1] = static_cast<std::uint8_t>(pictureId);
        }
        else {
            p[d.pictureIdOffset] = static_cast<std::uint8_t>(pictureId & 0x7f);
        }
    }
    if (d.tl0Offset)
        p[d.tl0Offset] = tl0PicIdx;
}

PictureSize vp8KeyframeSize(std::span<const std::uint8_t> p)
{
    Vp8Descriptor d;
    if (!parseVp8Descriptor(p, d) || !d.startOfPartition || p.size() - d.dataOffset < kKeyframeHeaderBytes)
        return {};
    const auto* f = p.data() + d.dataOffset;
    // P (bit 0 of the tag) clear is a keyframe; its start code is 9d 01 2a.
    if ((f[0] & 0x01) != 0 || f[3] != 0x9d || f[4] != 0x01 || f[5] != 0x2a)
        return {};
    return {static_cast<std::uint16_t>((f[6] | f[7] << 8) & 0x3fff), static_cast<std::uint16_t>((f[8] | f[9] << 8) & 0x3fff)};
}

} // namespace parley::router
