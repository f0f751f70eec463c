// The Range header of a recording download (RFC 9110 14), against a file size taken from
// the input. Checked besides not crashing: a partial answer lies inside the file, first
// not after last; an unsatisfiable one only under the bytes unit.
#include "fuzz_input.h"

#include <parley/portal/http/byte_range.h>

#include <algorithm>
#include <cctype>
#include <string>

using namespace parley::portal;
using parley::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    parley::fuzz::InputReader input(data, size);
    const std::uint64_t high = input.u32();
    const std::uint64_t fileSize = high << 32 | input.u32();
    const auto header = parley::fuzz::text(input.rest());
    const auto range = parseByteRange(header, fileSize);
    if (range.kind == ByteRangeRequest::Kind::Partial)
        require(range.first <= range.last && range.last < fileSize, "a partial range outside the file");
    if (range.kind == ByteRangeRequest::Kind::Unsatisfiable) {
        // The unit is case-insensitive (RFC 9110 14.1), after optional white space.
        const auto start = header.find_first_not_of(" \t");
        const std::string unit(start == std::string_view::npos ? std::string_view() : header.substr(start, 6));
        require(unit.size() == 6 && std::equal(unit.begin(), unit.end(), "bytes=",
                                               [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }),
                "unsatisfiable without the bytes unit");
    }
    return 0;
}
