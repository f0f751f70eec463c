#include <parley/portal/accounts/auth_handlers.h>
#include <parley/portal/accounts/session_manager.h>

#include "account_error_mapping.h"
#include "user_json.h"
#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_fields.h>
#include <parley/portal/http/json_response.h>

#include <parley/portal/accounts/account_service.h>

#include <Poco/DateTimeFormatter.h>
#include <Poco/Net/HTTPCookie.h>
#include <Poco/Timestamp.h>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

constexpr std::size_t kMaxLoginName = 256;
constexpr std::size_t kMaxPasswordBytes = 1024;

// __Host- prefix: browsers accept the cookie only with Secure, Path=/ and no Domain, so no
// other host or path can plant or shadow it.
void setSessionCookie(Poco::Net::HTTPServerResponse& response, const std::string& token)
{
    Poco::Net::HTTPCookie cookie(kSessionCookieName, token);
    cookie.setPath("/");
    cookie.setSecure(true);
    cookie.setHttpOnly(true);
    cookie.setSameSite(Poco::Net::HTTPCookie::SAME_SITE_STRICT);
    response.addCookie(cookie);
}

void clearSessionCookie(Poco::Net::HTTPServerResponse& response)
{
    Poco::Net::HTTPCookie cookie(kSessionCookieName, "");
    cookie.setPath("/");
    cookie.setSecure(true);
    cookie.setHttpOnly(true);
    cookie.setSameSite(Poco::Net::HTTPCookie::SAME_SITE_STRICT);
    cookie.setMaxAge(0);
    response.addCookie(cookie);
}

Poco::JSON::Object sessionBody(const Principal& principal)
{
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("user", userJson(principal.user));
    body.set("csrfToken", principal.session.csrfToken);
    body.set("expiresAt", isoTime(principal.session.expiresAt));
    return body;
}

} // namespace

void LoginHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto body = request.jsonBody();
    const auto username = requireString(*body, "username", kMaxLoginName);
    const auto password = requireString(*body, "password", kMaxPasswordBytes);

    auto result = services().sessions.login(username, password, request.clientAddress);
    switch (result.status) {
    case LoginResult::Status::EmptyPassword:
        throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_request", "'password' is empty");
    case LoginResult::Status::Throttled:
        throw HttpError(Status::HTTP_TOO_MANY_REQUESTS, "too_many_attempts",
                        "too many failed logins; try again later")
            .withRetryAfter(result.retryAfter);
    case LoginResult::Status::DirectoryUnavailable:
        throw HttpError(Status::HTTP_SERVICE_UNAVAILABLE, "directory_unavailable",
                        "the directory cannot be reached; try again later, or tell your "
                        "administrator");
    case LoginResult::Status::Invalid:
        throw HttpError(Status::HTTP_UNAUTHORIZED, "invalid_credentials",
                        "wrong username or password");
    case LoginResult::Status::Ok:
        break;
    }
    setSessionCookie(response, result.token);
    sendJson(response, Status::HTTP_OK, sessionBody(*result.principal));
}

void LogoutHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    services().sessions.logout(*request.principal, request.clientAddress);
    clearSessionCookie(response);
    response.setStatusAndReason(Status::HTTP_NO_CONTENT);
    response.setContentLength(0);
    response.send();
}

void SessionHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    sendJson(response, Status::HTTP_OK, sessionBody(*request.principal));
}

void OwnPasswordHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto body = request.jsonBody();
    const auto current = requireString(*body, "currentPassword", kMaxPasswordBytes);
    const auto next = requireString(*body, "newPassword", kMaxPasswordBytes);
    const Actor actor{request.actorName(), request.clientAddress};
    try {
        services().accounts.changeOwnPassword(request.principal->user.id, current, next, actor);
    }
    catch (const AccountError& e) {
        throw toHttpError(e);
    }
    const auto renewed = services().sessions.startSession(request.principal->user,
                                                          request.clientAddress);
    setSessionCookie(response, renewed.token);
    sendJson(response, Status::HTTP_OK, sessionBody(*renewed.principal));
}

} // namespace parley::portal
