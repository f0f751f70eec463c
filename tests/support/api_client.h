#pragma once

#include "tls_client.h"

#include <cstdint>
#include <string>

namespace parley::test {

/// A browser-like client of the REST API: keeps the session cookie and CSRF token from a
/// successful login and sends them with later requests.
class ApiClient
{
public:
    explicit ApiClient(std::uint16_t port) : port_(port) {}

    /// POST /api/v1/auth/login; on 200 remembers cookie and CSRF token.
    HttpResponse login(const std::string& username, const std::string& password);

    /// A request with the cookie (if any) and, unless `withCsrf` is false, the CSRF token.
    HttpResponse call(const std::string& method, const std::string& path,
                      const std::string& body = {}, bool withCsrf = true,
                      const std::string& extraHeaders = {});

    /// Later requests come from this local address (e.g. "127.0.0.2"; "" the kernel's choice).
    void setSourceAddress(const std::string& address) { sourceAddress_ = address; }

    const std::string& cookie() const { return cookie_; }
    const std::string& csrf() const { return csrf_; }
    void setCookie(const std::string& cookie) { cookie_ = cookie; }
    /// Takes cookie and CSRF token from a response that set a new session.
    void adopt(const HttpResponse& response);

private:
    std::uint16_t port_;
    std::string cookie_;
    std::string csrf_;
    std::string sourceAddress_;
};

/// The session token in a Set-Cookie header value, or "".
std::string sessionTokenFrom(const std::string& setCookie);

/// A JSON string literal for `text` (quotes and escapes added).
std::string jsonString(const std::string& text);

struct CommandResult
{
    int exitCode;
    std::string output; ///< stdout and stderr together
};

/// Runs parleyctl with the given shell-quoted arguments; `input` is fed to its stdin.
CommandResult runParleyctl(const std::string& arguments, const std::string& input = {});

} // namespace parley::test
