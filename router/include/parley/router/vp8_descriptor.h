#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace parley::router {

/// The VP8 payload descriptor at the start of an RTP payload (RFC 7741 4.2): where the
/// fields a simulcast switch rewrites lie, and where the VP8 data begins.
struct Vp8Descriptor
{
    bool startOfPartition = false; ///< S set and partition index 0: a frame's first packet
    /// Offsets within the payload; 0 when the field is absent (none can be at 0).
    std::size_t pictureIdOffset = 0;
    bool longPictureId = false; ///< 15 bits (M set) rather than 7
    std::uint16_t pictureId = 0;
    std::size_t tl0Offset = 0;
    std::uint8_t tl0PicIdx = 0;
    std::size_t dataOffset = 0; ///< the first byte of the VP8 frame data
};

/// Reads the descriptor. False when it is truncated (no byte of frame data after it).
bool parseVp8Descriptor(std::span<const std::uint8_t> payload, Vp8Descriptor& descriptor);

/// Writes `pictureId` and `tl0PicIdx` into a payload with `descriptor` (what is absent is
/// left alone); a 7-bit picture id takes the low 7 bits.
void rewriteVp8Descriptor(std::span<std::uint8_t> payload, const Vp8Descriptor& descriptor,
                          std::uint16_t pictureId, std::uint8_t tl0PicIdx);

/// The picture size a VP8 keyframe's first packet declares (RFC 6386 9.1), or {0, 0} when
/// `payload` is not one.
struct PictureSize
{
    std::uint16_t width = 0;
    std::uint16_t height = 0;
};
PictureSize vp8KeyframeSize(std::span<const std::uint8_t> payload);

} // namespace parley::router
