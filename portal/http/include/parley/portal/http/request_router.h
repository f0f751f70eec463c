#pragma once

#include <parley/portal/http/api_handler.h>

#include <parley/portal/http/address_list.h>

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace parley::portal {

/// Maps a request's path and method to one handler per resource. Patterns are exact paths
/// whose segments may be `{name}` placeholders (`/api/v1/users/{id}`); the handler receives
/// the values. Unknown paths get a JSON 404, known paths with another method a JSON 405 with
/// `Allow`, unparsable targets a 400.
class RequestRouter : public Poco::Net::HTTPRequestHandlerFactory
{
public:
    using Factory = std::function<std::unique_ptr<ApiHandler>()>;

    /// The portal lists of `access` are checked for every request, its admin lists in
    /// addition for routes whose access is Admin or AuditReader; refused addresses get 403
    /// `address_denied`. The lists are read per request (a change applies to the next one);
    /// `access` must outlive the router.
    RequestRouter(const HandlerContext& context, const AccessControl& access)
        : context_(context), access_(access)
    {}

    /// Registers the handler for a path pattern, and who may call it (the table in
    /// https_server.cpp is the one place to read the API's access rules). HEAD is allowed
    /// wherever GET is.
    void add(const std::string& pattern, std::set<std::string> methods, Access access,
             Factory factory);

    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest& request) override;

private:
    struct Route
    {
        std::string pattern;
        std::vector<std::string> segments;
        std::set<std::string> methods;
        Access access;
        Factory factory;
    };

    HandlerContext context_;
    const AccessControl& access_;
    std::vector<Route> routes_;
};

} // namespace parley::portal
