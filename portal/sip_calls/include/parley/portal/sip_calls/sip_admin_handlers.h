#pragma once

#include <parley/portal/http/api_handler.h>

namespace parley::portal {

class SipEndpointService;

/// What the SIP admin handlers work with.
struct SipAdminServices
{
    SipEndpointService& endpoints;
};

using SipAdminHandler = ServiceHandler<SipAdminServices>;

/// `GET /api/v1/admin/sip` (admins): whether SIP runs, its port, realm, guest policy and
/// rekey interval, and its counters (calls now and since start, refusals by reason,
/// registrations, rekeys).
class SipStatusHandler : public SipAdminHandler
{
public:
    using SipAdminHandler::SipAdminHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `/api/v1/admin/sip/endpoints` (admins): GET lists the endpoints with their registrations;
/// POST {username, displayName, password?} creates one (201; the password is in the answer
/// only when Parley made it).
class SipEndpointsHandler : public SipAdminHandler
{
public:
    using SipAdminHandler::SipAdminHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `/api/v1/admin/sip/endpoints/{username}` (admins): GET; PATCH {displayName?, password?,
/// newPassword?: true} renames it or gives it new credentials (chosen, or made by Parley and
/// answered once); DELETE (its calls hang up).
class SipEndpointHandler : public SipAdminHandler
{
public:
    using SipAdminHandler::SipAdminHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

} // namespace parley::portal
