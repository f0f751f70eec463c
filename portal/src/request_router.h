#pragma once

#include "api_handler.h"

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

namespace parley::portal {

/// Maps a request's path and method to one handler per resource. Unknown paths get a JSON
/// 404, known paths with another method a JSON 405 with `Allow`, unparsable targets a 400.
class RequestRouter : public Poco::Net::HTTPRequestHandlerFactory
{
public:
    using Factory = std::function<std::unique_ptr<Poco::Net::HTTPRequestHandler>()>;

    explicit RequestRouter(const HandlerContext& context) : context_(context) {}

    /// Registers the handler for an exact path. HEAD is allowed wherever GET is.
    void add(const std::string& path, std::set<std::string> methods, Factory factory);

    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest& request) override;

private:
    struct Route
    {
        std::set<std::string> methods;
        Factory factory;
    };

    HandlerContext context_;
    std::unordered_map<std::string, Route> routes_;
};

} // namespace parley::portal
