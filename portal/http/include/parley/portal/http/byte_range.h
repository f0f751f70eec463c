#pragma once

#include <cstdint>
#include <string_view>

namespace parley::portal {

/// What a Range request header asks of a file of a known size (RFC 9110 section 14).
struct ByteRangeRequest
{
    enum class Kind
    {
        Whole,         ///< no header, or one to ignore (malformed, several ranges, other unit): 200
        Partial,       ///< one satisfiable range: 206 with Content-Range
        Unsatisfiable, ///< 416 with "Content-Range: bytes */size"
    };
    Kind kind = Kind::Whole;
    std::uint64_t first = 0; ///< inclusive
    std::uint64_t last = 0;  ///< inclusive, < size
};

/// Parses `bytes=a-b`, `bytes=a-` and `bytes=-n`. Anything else is ignored as the RFC
/// allows (the whole file is sent); numbers are digits only and may not overflow.
ByteRangeRequest parseByteRange(std::string_view header, std::uint64_t size);

} // namespace parley::portal
