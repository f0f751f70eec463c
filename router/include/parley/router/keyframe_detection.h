#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace parley::router {

/// True when `payload` (an RTP payload of codec `codec`, "VP8" or "H264") is the first
/// packet of a keyframe: VP8 (RFC 7741) the start of partition 0 with the key-frame bit of
/// the frame header clear; H.264 (RFC 6184) an IDR slice or SPS, alone, first in a STAP-A,
/// or starting an FU-A. Reads only inside `payload`; false for anything truncated and for
/// other codecs.
bool startsKeyframe(std::string_view codec, std::span<const std::uint8_t> payload);

} // namespace parley::router
