#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <chrono>
#include <cstddef>
#include <string>

namespace parley::portal {

/// What every handler is told about the server it runs in.
struct HandlerContext
{
    std::size_t maxBodyBytes;
    std::chrono::seconds hstsMaxAge;
};

/// A request whose body has already been read (and size-checked).
struct ApiRequest
{
    Poco::Net::HTTPServerRequest& http;
    std::string body;
};

/// Base of every portal handler. It sets the security headers (HSTS and friends), reads the
/// body within the size limit (413 beyond it, 400 if the framing is broken), and turns
/// exceptions into JSON errors: HttpError keeps its status, anything else becomes a 500
/// whose details go to the log, not to the client.
class ApiHandler : public Poco::Net::HTTPRequestHandler
{
public:
    explicit ApiHandler(const HandlerContext& context) : context_(context) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) final;

protected:
    /// Answers the request; may throw HttpError.
    virtual void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) = 0;

private:
    std::string readBody(Poco::Net::HTTPServerRequest& request,
                         Poco::Net::HTTPServerResponse& response) const;

    HandlerContext context_;
};

} // namespace parley::portal
