#pragma once

#include <parley/portal/accounts/account_handler_services.h>

namespace parley::portal {

/// `GET /api/v1/users/search?q=<text>` (any signed-in user): people to name as
/// co-moderators. Up to 20 enabled users whose username or display name contains `q`
/// (1 to 64 characters, case ignored), as `{"users": [{"username", "displayName"}]}`:
/// names only, never role, source, ids or times, because every user may ask. 400
/// `invalid_request` for a missing, empty or too long `q`.
class UserSearchHandler : public AccountHandler
{
public:
    using AccountHandler::AccountHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

} // namespace parley::portal
