#include "admin_console_page.h"

#include <parley/storage/audit_details.h>
#include <parley/storage/audit_log.h>

namespace parley::portal {

Poco::Net::HTTPResponse::HTTPStatus AdminConsolePageHandler::pageStatus(const ApiRequest& request) const
{
    const auto& principal = *request.principal; // the route is for signed-in callers only
    if (principal.isAdmin() || principal.isAuditor())
        return Poco::Net::HTTPResponse::HTTP_OK;
    if (context().audit)
        context().audit->append({principal.user.username, request.clientAddress, "access.denied", "GET /admin",
                                 "failure",
                                 storage::AuditDetails()
                                     .add("role", std::string(storage::toString(principal.user.role)))
                                     .add("adminAddress", principal.adminAddress)
                                     .text()});
    return Poco::Net::HTTPResponse::HTTP_FORBIDDEN;
}

} // namespace parley::portal
