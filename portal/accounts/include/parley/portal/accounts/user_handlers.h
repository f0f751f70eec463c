#pragma once

#include "api_handler.h"

namespace parley::portal {

/// `/api/v1/users` (admins): GET lists users a page at a time, POST creates one.
class UsersHandler : public ApiHandler
{
public:
    using ApiHandler::ApiHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `/api/v1/users/{id}` (admins): GET, PATCH {displayName, role, disabled}, DELETE.
class UserHandler : public ApiHandler
{
public:
    using ApiHandler::ApiHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `POST /api/v1/users/{id}/password` {password} (admins): sets a new password and ends the
/// user's sessions.
class UserPasswordHandler : public ApiHandler
{
public:
    using ApiHandler::ApiHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

} // namespace parley::portal
