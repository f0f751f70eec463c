#pragma once

#include <parley/portal/http/json_limits.h>
#include <parley/portal/http/principal.h>

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>

namespace parley::storage {
class AuditLog;
}

namespace parley::portal {

class MetricCounter;

/// Largest body accepted from a caller without a valid session (login, and whatever else
/// is public). Such bodies are a name and a password; signed-in callers get
/// `server.max_body_bytes` (or this, when that is set lower). Anyone on the network can
/// send these bodies, so they are kept small before a byte of them is read.
inline constexpr std::size_t kAnonymousMaxBodyBytes = 16 * 1024;

/// What a JSON request body may hold (ApiRequest::jsonBody), checked before Poco's parser
/// builds anything. The largest bodies clients send are the directory settings (four lists
/// of at most 100 group names, some 450 values) and a room's moderators; they nest two
/// levels deep. Each value Poco builds costs about 850 bytes, so 1024 values bound a parsed
/// body to about 1 MB however the bytes are arranged.
inline constexpr JsonLimits kApiJsonLimits{
    .maxBytes = 1024 * 1024, // also where an admin raised server.max_body_bytes for other bodies
    .maxDepth = 8,
    .maxValues = 1024,
};

/// What every handler is told about the server it runs in.
struct HandlerContext
{
    std::size_t maxBodyBytes;
    std::chrono::seconds hstsMaxAge;
    SessionAuthenticator* sessions = nullptr; ///< nullptr: no request is ever signed in
    storage::AuditLog* audit = nullptr;       ///< where refusals by role are recorded
    /// `server.public_url` as an origin (public_origin.h), "" when not configured: absolute
    /// links then follow the request's Host.
    std::string publicUrl;
    /// `parley_http_requests_total{route,method,status}`, counted as each request is
    /// answered; nullptr: not counted.
    MetricCounter* requests = nullptr;
};

/// The label a request's route gets in `parley_http_requests_total` when no route matched.
inline constexpr const char* kUnmatchedRoute = "unmatched";

/// Who may call a handler's method.
enum class Access
{
    Public,      ///< anyone
    SignedIn,    ///< any user with a valid session
    Admin,       ///< role admin
    AuditReader, ///< role admin or auditor
};

/// A request whose body has been read (and size-checked) and whose caller is known.
struct ApiRequest
{
    Poco::Net::HTTPServerRequest& http;
    std::string body;
    std::string clientAddress;
    std::optional<Principal> principal; ///< set when the request carried a valid session
    std::map<std::string, std::string> params; ///< from the route pattern, e.g. {"id": "7"}

    /// The body as a JSON object; HttpError 400 `json_limit_exceeded` if it is beyond
    /// kApiJsonLimits (refused before it is parsed), `invalid_json` if it is not an object.
    Poco::JSON::Object::Ptr jsonBody() const;
    /// A query-string parameter, or "" when absent.
    std::string query(const std::string& name) const;
    /// The route parameter `name` as a positive integer id; HttpError 404 otherwise.
    std::int64_t idParam(const std::string& name) const;
    /// Who is acting, for the audit log.
    std::string actorName() const { return principal ? principal->user.username : ""; }
};

/// Base of every portal handler. It
/// - sets the security headers (HSTS and friends) on every response;
/// - refuses requests whose framing is ambiguous (request_framing.h) with 400
///   `malformed_request` and closes the connection;
/// - authenticates the session cookie (headers only), then reads the body within the size
///   limit, kAnonymousMaxBodyBytes without a valid session (413 beyond it, 400 and close if
///   the chunked framing is broken);
/// - enforces the route's Access (401, 403; refusals audited);
/// - refuses state-changing requests without a valid CSRF token (X-CSRF-Token header), or
///   with a foreign Origin, or with a body that is not JSON (403, 415);
/// - turns exceptions into JSON errors: HttpError keeps its status, anything else becomes a
///   500 whose details go to the log, not to the client.
class ApiHandler : public Poco::Net::HTTPRequestHandler
{
public:
    explicit ApiHandler(const HandlerContext& context) : context_(context) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) final;

    /// Set by the router: the route's placeholders, who may call it, and whether the client's
    /// address passes the `[access]` admin lists (Principal::adminAddress).
    void setRoute(std::map<std::string, std::string> params, Access access, bool adminAddress = true)
    {
        params_ = std::move(params);
        access_ = access;
        adminAddress_ = adminAddress;
    }

    /// Set by the router: the route's pattern (`/api/v1/users/{id}`), the only form of the
    /// path metrics ever see (a path holds ids and link secrets).
    void setRouteTemplate(std::string pattern) { routeTemplate_ = std::move(pattern); }

protected:
    /// Answers the request; may throw HttpError.
    virtual void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) = 0;

    const HandlerContext& context() const { return context_; }

    /// For a page behind a sign-in: where a browser without a session is sent (303) instead
    /// of getting a JSON 401. "" (the default): the 401.
    virtual std::string signInRedirect() const { return {}; }

    /// For a handler that takes a file as its body (any content type) and reads it itself
    /// from `request.http.stream()`, a part at a time: the most bytes it accepts. Such a
    /// request must carry a Content-Length (411 otherwise, 413 beyond the limit); its caller's
    /// role and CSRF token are checked before a byte of the body is read; the handler calls
    /// ConnectionTracker::bodyReceived() once it has read the body (which must arrive within
    /// the request deadline); the connection closes after the answer. 0 (the default): the
    /// body is JSON, read here within `maxBodyBytes`.
    virtual std::size_t streamedBodyLimit() const { return 0; }

private:
    static std::string methodLabel(const std::string& method);
    std::string readBody(Poco::Net::HTTPServerRequest& request,
                         Poco::Net::HTTPServerResponse& response, std::size_t limit) const;
    /// Who holds the session cookie, if anyone; needs the headers only.
    void authenticate(ApiRequest& request) const;
    void authorize(ApiRequest& request) const;

    HandlerContext context_;
    std::map<std::string, std::string> params_;
    Access access_ = Access::Public;
    bool adminAddress_ = true;
    std::string routeTemplate_ = kUnmatchedRoute;
};

/// Base of the handlers of one part of the portal: an ApiHandler that also reaches the
/// services that part works with (`Services`, a struct of references owned by the server).
template <typename Services>
class ServiceHandler : public ApiHandler
{
public:
    ServiceHandler(const HandlerContext& context, Services& services)
        : ApiHandler(context), services_(services)
    {}

protected:
    Services& services() const { return services_; }

private:
    Services& services_;
};

} // namespace parley::portal
