#pragma once

#include <cstddef>
#include <string_view>

namespace parley::portal {

/// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
bool isValidUtf8(std::string_view text);

/// Number of code points in valid UTF-8 text.
std::size_t utf8Length(std::string_view text);

/// Whether `text` contains a C0 or C1 control character or DEL (valid UTF-8 assumed).
bool hasControlCharacters(std::string_view text);

} // namespace parley::portal
