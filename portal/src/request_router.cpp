#include "request_router.h"

#include "http_error.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

/// Answers with a fixed JSON error (and optional extra headers) through the usual
/// ApiHandler path, so error responses carry the same security headers as any other.
class ErrorHandler : public ApiHandler
{
public:
    ErrorHandler(const HandlerContext& context, HttpError error, std::string allow = {})
        : ApiHandler(context), error_(std::move(error)), allow_(std::move(allow))
    {}

protected:
    void handle(const ApiRequest&, Poco::Net::HTTPServerResponse& response) override
    {
        if (!allow_.empty())
            response.set("Allow", allow_);
        throw error_;
    }

private:
    HttpError error_;
    std::string allow_;
};

std::string joined(const std::set<std::string>& methods)
{
    std::string text;
    for (const auto& method : methods)
        text += (text.empty() ? "" : ", ") + method;
    return text;
}

} // namespace

void RequestRouter::add(const std::string& path, std::set<std::string> methods, Factory factory)
{
    if (methods.contains("GET"))
        methods.insert("HEAD");
    routes_[path] = Route{std::move(methods), std::move(factory)};
}

Poco::Net::HTTPRequestHandler* RequestRouter::createRequestHandler(
    const Poco::Net::HTTPServerRequest& request)
{
    // Poco's factory interface hands ownership over as a raw pointer; the connection
    // deletes the handler after the request.
    std::string path;
    try {
        path = Poco::URI(request.getURI()).getPath();
    }
    catch (const Poco::SyntaxException&) {
        return std::make_unique<ErrorHandler>(
                   context_, HttpError(Status::HTTP_BAD_REQUEST, "malformed_request",
                                       "the request target is not a valid URI"))
            .release();
    }
    const auto route = routes_.find(path);
    if (route == routes_.end())
        return std::make_unique<ErrorHandler>(
                   context_, HttpError(Status::HTTP_NOT_FOUND, "not_found", "no such resource"))
            .release();
    if (!route->second.methods.contains(request.getMethod()))
        return std::make_unique<ErrorHandler>(
                   context_,
                   HttpError(Status::HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                             "this resource accepts " + joined(route->second.methods)),
                   joined(route->second.methods))
            .release();
    return route->second.factory().release();
}

} // namespace parley::portal
