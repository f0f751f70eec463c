#include <parley/portal/http/request_framing.h>

#include <Poco/String.h>

#include <charconv>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

namespace parley::portal {
namespace {

/// RFC 9110 5.6.2: the characters a header name (a token) may hold.
bool isTokenCharacter(char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool isToken(const std::string& name)
{
    if (name.empty())
        return false;
    for (const char c : name)
        if (!isTokenCharacter(c))
            return false;
    return true;
}

/// Every value of the header `name` (names compare case-insensitively), in order.
std::vector<std::string> valuesOf(const Poco::Net::HTTPRequest& request, const std::string& name)
{
    std::vector<std::string> values;
    for (const auto& [key, value] : request)
        if (Poco::icompare(key, name) == 0)
            values.push_back(value);
    return values;
}

/// A Content-Length value as RFC 9110 8.6 writes it: 1*DIGIT, and within what a signed
/// 64-bit length (Poco's, and the stream's) can hold.
bool isValidContentLength(const std::string& value)
{
    if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos)
        return false;
    std::uint64_t length = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), length);
    return error == std::errc() && end == value.data() + value.size() &&
           length <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
}

} // namespace

std::optional<std::string> framingProblem(const Poco::Net::HTTPRequest& request)
{
    for (const auto& [name, value] : request)
        if (!isToken(name))
            return "a header name is not a valid token (no spaces before the colon)";

    const auto lengths = valuesOf(request, Poco::Net::HTTPMessage::CONTENT_LENGTH);
    const auto encodings = valuesOf(request, Poco::Net::HTTPMessage::TRANSFER_ENCODING);
    if (!encodings.empty()) {
        if (encodings.size() > 1)
            return "more than one Transfer-Encoding header";
        if (Poco::icompare(encodings.front(), Poco::Net::HTTPMessage::CHUNKED_TRANSFER_ENCODING) != 0)
            return "the only Transfer-Encoding accepted is 'chunked'";
        if (request.getVersion() == Poco::Net::HTTPMessage::HTTP_1_0)
            return "HTTP/1.0 has no Transfer-Encoding";
        if (!lengths.empty())
            return "both Content-Length and Transfer-Encoding";
    }
    for (const auto& length : lengths) {
        if (!isValidContentLength(length))
            return "Content-Length must be a non-negative whole number of bytes";
        if (length != lengths.front())
            return "Content-Length given twice with different values";
    }

    if (request.getVersion() == Poco::Net::HTTPMessage::HTTP_1_1) {
        const auto hosts = valuesOf(request, Poco::Net::HTTPRequest::HOST);
        if (hosts.empty())
            return "HTTP/1.1 requests need a Host header";
        if (hosts.size() > 1)
            return "more than one Host header";
    }
    return std::nullopt;
}

} // namespace parley::portal
