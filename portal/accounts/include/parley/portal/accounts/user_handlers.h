#pragma once

#include <parley/portal/accounts/account_handler_services.h>

namespace parley::portal {

/// `/api/v1/users` (admins): GET lists users a page at a time, POST creates one.
class UsersHandler : public AccountHandler
{
public:
    using AccountHandler::AccountHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `/api/v1/users/{id}` (admins): GET, PATCH {displayName, role, disabled}, DELETE.
class UserHandler : public AccountHandler
{
public:
    using AccountHandler::AccountHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `POST /api/v1/users/{id}/password` {password} (admins): sets a new password and ends the
/// user's sessions.
class UserPasswordHandler : public AccountHandler
{
public:
    using AccountHandler::AccountHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

} // namespace parley::portal
