#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <utility>

namespace parley::recorder {

/// Width and height of the pictures an H.264 keyframe (Annex B, with its SPS) describes,
/// read by libavcodec's H.264 parser; nullopt when it cannot tell.
std::optional<std::pair<int, int>> h264PictureSize(std::span<const std::uint8_t> keyframe);

} // namespace parley::recorder
