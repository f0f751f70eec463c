#include <parley/portal/http/request_router.h>

#include <parley/portal/http/http_error.h>

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <map>

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

std::vector<std::string> segmentsOf(const std::string& path)
{
    std::vector<std::string> segments;
    std::size_t start = 1;
    while (start <= path.size()) {
        const auto end = path.find('/', start);
        segments.push_back(path.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    return segments;
}

bool isPlaceholder(const std::string& segment)
{
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

} // namespace

void RequestRouter::add(const std::string& pattern, std::set<std::string> methods, Access access,
                        Factory factory)
{
    if (methods.contains("GET"))
        methods.insert("HEAD");
    routes_.push_back(Route{pattern, segmentsOf(pattern), std::move(methods), access, std::move(factory)});
}

Poco::Net::HTTPRequestHandler* RequestRouter::createRequestHandler(
    const Poco::Net::HTTPServerRequest& request)
{
    // Poco's factory interface hands ownership over as a raw pointer; the connection
    // deletes the handler after the request.
    const auto client = request.clientAddress().host();
    const auto addressDenied = [this](const std::string& pattern) {
        auto refusal = std::make_unique<ErrorHandler>(
            context_, HttpError(Status::HTTP_FORBIDDEN, "address_denied",
                                "requests from your address are not allowed here"));
        refusal->setRouteTemplate(pattern);
        return refusal.release();
    };
    if (!access_.portal()->permits(client))
        return addressDenied(kUnmatchedRoute);
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
    const auto segments = segmentsOf(path);
    for (const auto& route : routes_) {
        if (route.segments.size() != segments.size())
            continue;
        std::map<std::string, std::string> params;
        bool matches = true;
        for (std::size_t i = 0; i < segments.size() && matches; ++i) {
            if (isPlaceholder(route.segments[i]))
                params[route.segments[i].substr(1, route.segments[i].size() - 2)] = segments[i];
            else
                matches = route.segments[i] == segments[i];
        }
        if (!matches)
            continue;
        if (!route.methods.contains(request.getMethod())) {
            auto refusal = std::make_unique<ErrorHandler>(
                context_,
                HttpError(Status::HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                          "this resource accepts " + joined(route.methods)),
                joined(route.methods));
            refusal->setRouteTemplate(route.pattern);
            return refusal.release();
        }
        const bool adminAddress = access_.admin()->permits(client);
        if ((route.access == Access::Admin || route.access == Access::AuditReader) && !adminAddress)
            return addressDenied(route.pattern);
        auto handler = route.factory();
        handler->setRoute(std::move(params), route.access, adminAddress);
        handler->setRouteTemplate(route.pattern);
        return handler.release();
    }
    return std::make_unique<ErrorHandler>(
               context_, HttpError(Status::HTTP_NOT_FOUND, "not_found", "no such resource"))
        .release();
}

} // namespace parley::portal
