#pragma once

#include <parley/portal/accounts/account_handler_services.h>

namespace parley::portal {

/// `POST /api/v1/auth/login` {username, password}: sets the session cookie and returns the
/// user and the CSRF token; 401 `invalid_credentials` (the same for every reason), 429
/// `too_many_attempts` with Retry-After while locked.
class LoginHandler : public AccountHandler
{
public:
    using AccountHandler::AccountHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `POST /api/v1/auth/logout`: ends the session and clears the cookie.
class LogoutHandler : public AccountHandler
{
public:
    using AccountHandler::AccountHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `GET /api/v1/auth/session`: the signed-in user and the CSRF token for this session.
class SessionHandler : public AccountHandler
{
public:
    using AccountHandler::AccountHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `POST /api/v1/me/password` {currentPassword, newPassword}: ends every session of the
/// user and starts a fresh one for this client (new cookie and CSRF token).
class OwnPasswordHandler : public AccountHandler
{
public:
    using AccountHandler::AccountHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

} // namespace parley::portal
