#include <parley/portal/http/api_handler.h>

#include <parley/log/log_event.h>

#include <parley/portal/http/chunked_body.h>
#include <parley/portal/http/connection_tracker.h>
#include <parley/portal/http/constant_time.h>
#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_response.h>
#include <parley/portal/http/metrics_registry.h>
#include <parley/portal/http/request_framing.h>
#include <parley/storage/audit_details.h>
#include <parley/storage/audit_log.h>

#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPFixedLengthStream.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/Net/NetException.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/URI.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>
#include <istream>
#include <limits>
#include <set>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

void setSecurityHeaders(Poco::Net::HTTPServerResponse& response, std::chrono::seconds hstsMaxAge)
{
    response.set("Strict-Transport-Security",
                 "max-age=" + std::to_string(hstsMaxAge.count()) + "; includeSubDomains");
    response.set("X-Content-Type-Options", "nosniff");
    response.set("X-Frame-Options", "DENY");
    response.set("Referrer-Policy", "no-referrer");
    response.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    response.set("Cache-Control", "no-store");
}

Poco::Logger& logger()
{
    return Poco::Logger::get("portal.http");
}

// The query string is left out of the audit log: some endpoints carry link secrets there.
std::string pathOf(const std::string& uri)
{
    return uri.substr(0, uri.find('?'));
}

// The log names the route's template, never the path: paths hold ids, link secrets and
// invitation tokens.
void answerInternalError(Poco::Net::HTTPServerResponse& response, const std::string& method,
                         const std::string& route, const std::string& what)
{
    const auto incident = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    log::error(logger(), "http.internal_error",
               "incident " + incident + ": " + method + " " + route + " failed: " + what,
               {{"incident", incident}, {"route", route}, {"method", method}, {"error", what}});
    if (!response.sent())
        sendJsonError(response, Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR,
                      "internal_error", "internal error (incident " + incident + ")");
}

} // namespace

std::string ApiHandler::readBody(Poco::Net::HTTPServerRequest& request,
                                 Poco::Net::HTTPServerResponse& response, std::size_t limit) const
{
    // framingProblem() has ruled out everything but one well-formed Content-Length, one
    // `chunked`, or neither.
    if (request.getChunkedTransferEncoding()) {
        // Poco's chunked reader takes a malformed size line for the end of the body, which
        // would let the rest be read as another request; ours refuses it. It reads the bytes
        // after the header straight from the connection, and may read past the body, so the
        // connection is not reused.
        response.setKeepAlive(false);
        auto& session = dynamic_cast<Poco::Net::HTTPServerRequestImpl&>(request).session();
        // A length that never ends the stream (the reader stops at the last chunk), halved so
        // Poco's count plus a read cannot overflow.
        Poco::Net::HTTPFixedLengthInputStream raw(session, std::numeric_limits<Poco::Int64>::max() / 2);
        return readChunkedBody(raw, limit);
    }
    // RFC 9112 6.3: a request with neither Content-Length nor chunked framing has no body.
    // (Poco would otherwise read until the client closes, which a waiting client never does.)
    if (!request.hasContentLength())
        return {};
    if (request.getContentLength64() > static_cast<Poco::Int64>(limit)) {
        // The body is not read, so the connection cannot carry another request.
        response.setKeepAlive(false);
        throw HttpError(Status::HTTP_REQUEST_ENTITY_TOO_LARGE, "body_too_large",
                        "request body exceeds the limit of " + std::to_string(limit) + " bytes");
    }
    std::string body;
    body.reserve(static_cast<std::size_t>(request.getContentLength64())); // within the limit
    std::istream& in = request.stream();
    char chunk[8192];
    while (in) {
        in.read(chunk, sizeof chunk);
        body.append(chunk, static_cast<std::size_t>(in.gcount()));
    }
    if (body.size() != static_cast<std::size_t>(request.getContentLength64())) {
        response.setKeepAlive(false);
        throw HttpError(Status::HTTP_BAD_REQUEST, "malformed_request",
                        "the connection ended before the body did");
    }
    return body;
}

namespace {

bool isSafeMethod(const std::string& method)
{
    return method == "GET" || method == "HEAD" || method == "OPTIONS";
}


} // namespace

/// A method as a metrics label: one of those HTTP defines, never a word a client made up.
std::string ApiHandler::methodLabel(const std::string& method)
{
    static const std::set<std::string> known{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    return known.contains(method) ? method : "other";
}

void ApiHandler::authenticate(ApiRequest& request) const
{
    if (!context_.sessions)
        return;
    Poco::Net::NameValueCollection cookies;
    request.http.getCookies(cookies);
    const auto token = cookies.get(kSessionCookieName, "");
    if (!token.empty())
        request.principal = context_.sessions->authenticate(token);
    if (request.principal)
        request.principal->adminAddress = adminAddress_;
}

void ApiHandler::authorize(ApiRequest& request) const
{
    auto& http = request.http;
    const auto& method = http.getMethod();

    if (!isSafeMethod(method)) {
        // Defence in depth beside SameSite=Strict: a browser always sends Origin on
        // cross-origin requests, and a cross-site form cannot send JSON.
        const auto origin = http.get("Origin", "");
        if (!origin.empty() && origin != "https://" + http.getHost())
            throw HttpError(Status::HTTP_FORBIDDEN, "csrf_failed",
                            "the request comes from another origin");
        if (!request.body.empty() &&
            Poco::icompare(http.getContentType().substr(0, 16), "application/json") != 0)
            throw HttpError(Status::HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                            "request bodies must be application/json");
        if (request.principal &&
            !equalConstantTime(http.get("X-CSRF-Token", ""), request.principal->session.csrfToken))
            throw HttpError(Status::HTTP_FORBIDDEN, "csrf_failed",
                            "missing or wrong X-CSRF-Token header");
    }

    const auto required = access_;
    if (required == Access::Public)
        return;
    if (!request.principal)
        throw HttpError(Status::HTTP_UNAUTHORIZED, "unauthenticated", "log in first");
    const auto role = request.principal->user.role;
    const bool allowed = required == Access::SignedIn ||
                         (required == Access::Admin && role == storage::Role::Admin) ||
                         (required == Access::AuditReader &&
                          (role == storage::Role::Admin || role == storage::Role::Auditor));
    if (!allowed) {
        if (context_.audit)
            context_.audit->append(
            {request.principal->user.username, request.clientAddress, "access.denied",
             method + " " + pathOf(http.getURI()), "failure",
             storage::AuditDetails().add("role", std::string(storage::toString(role))).text()});
        throw HttpError(Status::HTTP_FORBIDDEN, "forbidden",
                        "your role does not allow this");
    }
}

Poco::JSON::Object::Ptr ApiRequest::jsonBody() const
{
    // Before the parser: it would build the whole tree of whatever arrived first.
    if (const auto check = checkJsonLimits(body, kApiJsonLimits); !check.ok())
        throw HttpError(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST,
                        check.limitExceeded() ? "json_limit_exceeded" : "invalid_json",
                        check.limitExceeded() ? check.message
                                              : "the request body must be a JSON object (" +
                                                    check.message + ")");
    try {
        Poco::JSON::Parser parser;
        const auto value = parser.parse(body);
        if (value.type() == typeid(Poco::JSON::Object::Ptr))
            return value.extract<Poco::JSON::Object::Ptr>();
    }
    catch (const Poco::Exception&) {
        // reported below, without echoing parser internals
    }
    throw HttpError(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST, "invalid_json",
                    "the request body must be a JSON object");
}

std::string ApiRequest::query(const std::string& name) const
{
    try {
        for (const auto& [key, value] : Poco::URI(http.getURI()).getQueryParameters())
            if (key == name)
                return value;
    }
    catch (const Poco::SyntaxException&) {
        throw HttpError(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST, "malformed_request",
                        "the query string is not valid");
    }
    return {};
}

std::int64_t ApiRequest::idParam(const std::string& name) const
{
    const auto found = params.find(name);
    Poco::Int64 id = 0;
    if (found == params.end() || found->second.find_first_not_of("0123456789") != std::string::npos ||
        !Poco::NumberParser::tryParse64(found->second, id) || id <= 0)
        throw HttpError(Poco::Net::HTTPResponse::HTTP_NOT_FOUND, "not_found", "no such resource");
    return id;
}

void ApiHandler::handleRequest(Poco::Net::HTTPServerRequest& request,
                               Poco::Net::HTTPServerResponse& response)
{
    ConnectionTracker::headReceived();
    // However this request ends, the connection's next one starts a new deadline, and the
    // answer is counted by route template, method and status.
    struct Answered
    {
        const ApiHandler& handler;
        const Poco::Net::HTTPServerRequest& request;
        const Poco::Net::HTTPServerResponse& response;
        std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
        ~Answered()
        {
            ConnectionTracker::requestAnswered();
            const auto status = static_cast<int>(response.getStatus());
            if (handler.context_.requests)
                handler.context_.requests->add(
                    {handler.routeTemplate_, methodLabel(request.getMethod()), std::to_string(status)});
            const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                                    std::chrono::steady_clock::now() - started)
                                    .count();
            log::debug(logger(), "http.request",
                       std::string(methodLabel(request.getMethod())) + " " + handler.routeTemplate_ + " " +
                           std::to_string(status),
                       {{"route", handler.routeTemplate_},
                        {"method", methodLabel(request.getMethod())},
                        {"status", status},
                        {"duration_ms", static_cast<double>(micros) / 1000.0}});
        }
    } answered{*this, request, response};
    setSecurityHeaders(response, context_.hstsMaxAge);
    const auto& version = request.getVersion();
    if (version != Poco::Net::HTTPMessage::HTTP_1_1 && version != Poco::Net::HTTPMessage::HTTP_1_0) {
        // Poco echoes whatever version the client claimed; answer in one we speak.
        response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
        response.setKeepAlive(false);
        sendJsonError(response, Status::HTTP_VERSION_NOT_SUPPORTED, "http_version_not_supported",
                      "only HTTP/1.0 and HTTP/1.1 are supported");
        return;
    }
    try {
        if (const auto problem = framingProblem(request)) {
            // Where this request ends is in doubt, so nothing after it can be trusted.
            response.setKeepAlive(false);
            throw HttpError(Status::HTTP_BAD_REQUEST, "malformed_request", *problem);
        }
        ApiRequest apiRequest{request, {}, request.clientAddress().host().toString(),
                              std::nullopt, params_};
        authenticate(apiRequest);
        const auto limit = apiRequest.principal
                               ? context_.maxBodyBytes
                               : std::min(context_.maxBodyBytes, kAnonymousMaxBodyBytes);
        if (const auto streamed = streamedBodyLimit(); streamed > 0) {
            // The body stays unread until the handler takes it, so the connection ends with
            // this request whatever happens.
            response.setKeepAlive(false);
            if (request.getChunkedTransferEncoding() || !request.hasContentLength())
                throw HttpError(Status::HTTP_LENGTH_REQUIRED, "length_required",
                                "send the file with a Content-Length header");
            if (request.getContentLength64() > static_cast<Poco::Int64>(streamed))
                throw HttpError(Status::HTTP_REQUEST_ENTITY_TOO_LARGE, "body_too_large",
                                "request body exceeds the limit of " + std::to_string(streamed) + " bytes");
        }
        else {
            apiRequest.body = readBody(request, response, limit);
            ConnectionTracker::bodyReceived();
        }
        if (!apiRequest.principal && access_ != Access::Public)
            if (const auto page = signInRedirect(); !page.empty()) {
                response.redirect(page, Status::HTTP_SEE_OTHER);
                return;
            }
        authorize(apiRequest);
        handle(apiRequest, response);
    }
    catch (const HttpError& e) {
        if (!response.sent()) {
            if (e.retryAfter().count() > 0)
                response.set("Retry-After", std::to_string(e.retryAfter().count()));
            sendJsonError(response, e.status(), e.code(), e.what());
        }
    }
    catch (const Poco::Net::MessageException& e) {
        // Whatever Poco still parses for a handler (a WebSocket handshake, say): the client's
        // fault, and the stream is unusable.
        response.setKeepAlive(false);
        if (!response.sent())
            sendJsonError(response, Status::HTTP_BAD_REQUEST, "malformed_request",
                          "the request could not be parsed: " + e.message());
    }
    catch (const Poco::Net::NetException&) {
        throw; // the connection is gone; Poco closes it and our error log counts it
    }
    catch (const Poco::Exception& e) {
        answerInternalError(response, methodLabel(request.getMethod()), routeTemplate_, e.displayText());
    }
    catch (const std::exception& e) {
        answerInternalError(response, methodLabel(request.getMethod()), routeTemplate_, e.what());
    }
}

} // namespace parley::portal
