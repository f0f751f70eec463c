#pragma once

#include <cstddef>
#include <string_view>

namespace parley::log {

/// Length of the UTF-8 sequence starting at `text[i]` (1 to 4), or 0 when the bytes there
/// are not one: a stray continuation byte, a sequence cut short, an overlong form, a
/// surrogate or a code point past U+10FFFF. For writers that must pass text on as valid
/// UTF-8 (log lines, the Prometheus exposition).
std::size_t utf8SequenceLength(std::string_view text, std::size_t i);

} // namespace parley::log
