#include <parley/portal/http/byte_range.h>

#include <optional>

namespace parley::portal {

namespace {

std::optional<std::uint64_t> number(std::string_view text)
{
    // 18 digits cannot overflow 64 bits; no file is that large.
    if (text.empty() || text.size() > 18)
        return std::nullopt;
    std::uint64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value;
}

std::string_view trim(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

} // namespace

ByteRangeRequest parseByteRange(std::string_view header, std::uint64_t size)
{
    using Kind = ByteRangeRequest::Kind;
    header = trim(header);
    constexpr std::string_view unit = "bytes=";
    if (header.size() <= unit.size())
        return {};
    // The unit is case-insensitive; only letters fold (folding by `| 0x20` alone took a
    // control character 0x1d for the '=', found by fuzzing).
    for (std::size_t i = 0; i < unit.size(); ++i) {
        const char c = header[i] >= 'A' && header[i] <= 'Z' ? static_cast<char>(header[i] - 'A' + 'a') : header[i];
        if (c != unit[i])
            return {};
    }
    const auto spec = trim(header.substr(unit.size()));
    if (spec.find(',') != std::string_view::npos)
        return {}; // several ranges: the whole file is a valid answer
    const auto dash = spec.find('-');
    if (dash == std::string_view::npos)
        return {};
    const auto firstText = trim(spec.substr(0, dash));
    const auto lastText = trim(spec.substr(dash + 1));
    if (firstText.empty()) {
        const auto suffix = number(lastText);
        if (!suffix)
            return {};
        if (*suffix == 0 || size == 0)
            return {Kind::Unsatisfiable, 0, 0};
        return {Kind::Partial, size - std::min(*suffix, size), size - 1};
    }
    const auto first = number(firstText);
    if (!first)
        return {};
    std::uint64_t last = size == 0 ? 0 : size - 1;
    if (!lastText.empty()) {
        const auto given = number(lastText);
        if (!given || *given < *first)
            return {};
        last = std::min(*given, last);
    }
    if (*first >= size)
        return {Kind::Unsatisfiable, 0, 0};
    return {Kind::Partial, *first, last};
}

} // namespace parley::portal
