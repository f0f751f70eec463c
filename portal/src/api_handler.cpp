#include "api_handler.h"

#include "http_error.h"
#include "json_response.h"

#include <Poco/Logger.h>
#include <Poco/Net/NetException.h>
#include <Poco/UUIDGenerator.h>

#include <istream>

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

// The query string is left out of logs: later endpoints carry link secrets there.
std::string pathOf(const std::string& uri)
{
    return uri.substr(0, uri.find('?'));
}

void answerInternalError(Poco::Net::HTTPServerRequest& request,
                         Poco::Net::HTTPServerResponse& response, const std::string& what)
{
    const auto incident = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    logger().error("incident %s: %s %s failed: %s", incident, request.getMethod(),
                   pathOf(request.getURI()), what);
    if (!response.sent())
        sendJsonError(response, Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR,
                      "internal_error", "internal error (incident " + incident + ")");
}

} // namespace

std::string ApiHandler::readBody(Poco::Net::HTTPServerRequest& request,
                                 Poco::Net::HTTPServerResponse& response) const
{
    const auto limit = context_.maxBodyBytes;
    if (request.hasContentLength() && request.getContentLength64() > static_cast<Poco::Int64>(limit)) {
        // The body is not read, so the connection cannot carry another request.
        response.setKeepAlive(false);
        throw HttpError(Status::HTTP_REQUEST_ENTITY_TOO_LARGE, "body_too_large",
                        "request body exceeds the limit of " + std::to_string(limit) + " bytes");
    }
    // RFC 9112 6.3: a request with neither Content-Length nor chunked framing has no body.
    // (Poco would otherwise read until the client closes, which a waiting client never does.)
    if (!request.hasContentLength() && !request.getChunkedTransferEncoding())
        return {};
    // Poco's chunked reader reports a malformed chunk header as a plain end of body, so
    // after a chunked body the framing of whatever follows cannot be trusted.
    if (request.getChunkedTransferEncoding())
        response.setKeepAlive(false);
    std::string body;
    std::istream& in = request.stream();
    char chunk[8192];
    while (in) {
        in.read(chunk, sizeof chunk);
        body.append(chunk, static_cast<std::size_t>(in.gcount()));
        if (body.size() > limit) {
            response.setKeepAlive(false);
            throw HttpError(Status::HTTP_REQUEST_ENTITY_TOO_LARGE, "body_too_large",
                            "request body exceeds the limit of " + std::to_string(limit) +
                                " bytes");
        }
    }
    return body;
}

void ApiHandler::handleRequest(Poco::Net::HTTPServerRequest& request,
                               Poco::Net::HTTPServerResponse& response)
{
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
        ApiRequest apiRequest{request, readBody(request, response)};
        handle(apiRequest, response);
    }
    catch (const HttpError& e) {
        if (!response.sent())
            sendJsonError(response, e.status(), e.code(), e.what());
    }
    catch (const Poco::Net::MessageException& e) {
        // Broken chunked framing and the like: the client's fault, and the stream is unusable.
        response.setKeepAlive(false);
        if (!response.sent())
            sendJsonError(response, Status::HTTP_BAD_REQUEST, "malformed_request",
                          "the request could not be parsed: " + e.message());
    }
    catch (const Poco::Net::NetException&) {
        throw; // the connection is gone; Poco closes it and our error log counts it
    }
    catch (const Poco::Exception& e) {
        answerInternalError(request, response, e.displayText());
    }
    catch (const std::exception& e) {
        answerInternalError(request, response, e.what());
    }
}

} // namespace parley::portal
