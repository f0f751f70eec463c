#include <parley/portal/http/public_origin.h>

#include <Poco/Net/IPAddress.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/String.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace parley::portal {
namespace {

constexpr std::size_t kMaxHostHeaderBytes = 255;
constexpr std::size_t kMaxDnsNameBytes = 253;
constexpr std::size_t kMaxLabelBytes = 63;
constexpr std::string_view kScheme = "https://";
constexpr int kDefaultHttpsPort = 443;

bool isAsciiAlnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/// RFC 1123 host name syntax (which IPv4 addresses also satisfy): dot-separated labels of
/// letters, digits and inner hyphens.
bool isDnsName(std::string_view name)
{
    if (name.empty() || name.size() > kMaxDnsNameBytes)
        return false;
    std::size_t start = 0;
    for (;;) {
        const auto dot = name.find('.', start);
        const auto label = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty() || label.size() > kMaxLabelBytes || label.front() == '-' || label.back() == '-')
            return false;
        for (const char c : label)
            if (!isAsciiAlnum(c) && c != '-')
                return false;
        if (dot == std::string_view::npos)
            return true;
        start = dot + 1;
    }
}

bool isBracketedIpv6(std::string_view host)
{
    if (host.size() < 3 || host.front() != '[' || host.back() != ']')
        return false;
    const std::string inner(host.substr(1, host.size() - 2));
    // Hex digits, colons and the dots of an embedded IPv4 address only: a zone
    // (fe80::1%eth0) means nothing to another machine, and Poco's parser stops at a NUL, so
    // "[::1\0junk]" would pass with the junk kept in the origin (found by fuzzing).
    if (!std::all_of(inner.begin(), inner.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'; }))
        return false;
    Poco::Net::IPAddress address;
    return Poco::Net::IPAddress::tryParse(inner, address) &&
           address.family() == Poco::Net::IPAddress::IPv6;
}

/// 1 to 65535 in at most 5 decimal digits; 0 for anything else.
int portNumber(std::string_view text)
{
    if (text.empty() || text.size() > 5)
        return 0;
    int value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < 1 || value > 65535)
        return 0;
    return value;
}

/// The origin of a host and port (0: none given); the default port is left out, as
/// browsers do.
std::string originOf(const std::string& host, int port)
{
    return std::string(kScheme) + host +
           (port == 0 || port == kDefaultHttpsPort ? "" : ":" + std::to_string(port));
}

struct HostAndPort
{
    std::string host; ///< lower case; IPv6 in brackets
    int port = 0;     ///< 0 when none was given
};

std::optional<HostAndPort> splitHost(std::string_view text)
{
    if (text.empty() || text.size() > kMaxHostHeaderBytes)
        return std::nullopt;
    std::string_view host;
    std::string_view port;
    bool hasPort = false;
    if (text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos)
            return std::nullopt;
        host = text.substr(0, close + 1);
        const auto rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':')
                return std::nullopt;
            port = rest.substr(1);
            hasPort = true;
        }
        if (!isBracketedIpv6(host))
            return std::nullopt;
    }
    else {
        const auto colon = text.find(':');
        host = text.substr(0, colon);
        if (colon != std::string_view::npos) {
            port = text.substr(colon + 1);
            hasPort = true;
        }
        if (!isDnsName(host))
            return std::nullopt;
    }
    HostAndPort result{Poco::toLower(std::string(host)), 0};
    if (hasPort && !(result.port = portNumber(port)))
        return std::nullopt;
    return result;
}

} // namespace

std::optional<std::string> plainHost(std::string_view hostHeader)
{
    const auto parsed = splitHost(hostHeader);
    if (!parsed)
        return std::nullopt;
    return parsed->port ? parsed->host + ":" + std::to_string(parsed->port) : parsed->host;
}

std::optional<std::string> publicUrlOrigin(std::string_view url)
{
    if (url.size() <= kScheme.size() || Poco::icompare(std::string(url.substr(0, kScheme.size())), std::string(kScheme)) != 0)
        return std::nullopt;
    auto rest = url.substr(kScheme.size());
    if (!rest.empty() && rest.back() == '/')
        rest.remove_suffix(1);
    const auto parsed = splitHost(rest);
    if (!parsed)
        return std::nullopt;
    return originOf(parsed->host, parsed->port);
}

std::string publicOrigin(const std::string& configured, const Poco::Net::HTTPServerRequest& request)
{
    if (!configured.empty())
        return configured;
    if (request.has("Host"))
        if (const auto parsed = splitHost(request.getHost()))
            return originOf(parsed->host, parsed->port);
    // HTTP/1.0 without Host, or a Host that is not a plain host: the address this
    // connection reached, which is a real address even when the server listens on all.
    const auto local = request.serverAddress();
    const auto host = local.host().toString();
    return originOf(local.family() == Poco::Net::AddressFamily::IPv6 ? "[" + host + "]" : host, local.port());
}

std::string originHost(std::string_view origin)
{
    if (origin.substr(0, kScheme.size()) == kScheme)
        origin.remove_prefix(kScheme.size());
    if (!origin.empty() && origin.front() == '[')
        return std::string(origin.substr(0, origin.find(']') + 1));
    return std::string(origin.substr(0, origin.find(':')));
}

} // namespace parley::portal
