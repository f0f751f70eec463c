#include <parley/portal/accounts/user_handlers.h>
#include <parley/portal/accounts/session_manager.h>

#include "account_error_mapping.h"
#include "user_json.h"
#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_fields.h>
#include <parley/portal/http/json_response.h>
#include <parley/portal/http/secret_token.h>

#include <parley/portal/accounts/account_service.h>
#include <parley/storage/user_store.h>

#include <Poco/JSON/Array.h>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

constexpr std::size_t kMaxField = 1024;

storage::Role roleField(const Poco::JSON::Object& body, const std::string& fallback)
{
    const auto text = optionalString(body, "role", 32).value_or(fallback);
    const auto role = storage::parseRole(text);
    if (!role)
        throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_role",
                        "'role' must be admin, auditor or user");
    return *role;
}

} // namespace

void UsersHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    storage::UserStore users(services().database);
    if (request.http.getMethod() == "POST") {
        const auto body = request.jsonBody();
        NewUser user;
        user.username = requireString(*body, "username", kMaxField);
        user.displayName = optionalString(*body, "displayName", kMaxField).value_or("");
        user.password = requireString(*body, "password", kMaxField);
        user.role = roleField(*body, "user");
        try {
            const auto created = services().accounts.createUser(
                user, {request.actorName(), request.clientAddress});
            response.set("Location", "/api/v1/users/" + std::to_string(created.id));
            sendJson(response, Status::HTTP_CREATED, *userJson(created));
        }
        catch (const AccountError& e) {
            throw toHttpError(e);
        }
        return;
    }
    const auto page = pageOf(request);
    const auto text = searchOf(request);
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    for (const auto& user : users.list(page.offset(), page.perPage, text))
        items->add(userJson(user));
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("users", items);
    body.set("page", page.page);
    body.set("perPage", page.perPage);
    body.set("total", users.count(text));
    sendJson(response, Status::HTTP_OK, body);
}

void UserHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto id = request.idParam("id");
    const Actor actor{request.actorName(), request.clientAddress};
    const auto& method = request.http.getMethod();
    try {
        if (method == "PATCH") {
            const auto body = request.jsonBody();
            UserChanges changes;
            changes.displayName = optionalString(*body, "displayName", kMaxField);
            if (body->has("role"))
                changes.role = roleField(*body, "");
            changes.disabled = optionalBool(*body, "disabled");
            sendJson(response, Status::HTTP_OK,
                     *userJson(services().accounts.updateUser(id, changes, actor)));
        }
        else if (method == "DELETE") {
            services().accounts.deleteUser(id, actor);
            sendNoContent(response);
        }
        else {
            const auto user = storage::UserStore(services().database).findById(id);
            if (!user)
                throw HttpError(Status::HTTP_NOT_FOUND, "user_not_found", "no user with this id");
            sendJson(response, Status::HTTP_OK, *userJson(*user));
        }
    }
    catch (const AccountError& e) {
        throw toHttpError(e);
    }
}

void UserPasswordHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto id = request.idParam("id");
    const auto body = request.jsonBody();
    // Either the admin's choice, or one made here and shown to the admin this once.
    const bool generate = optionalBool(*body, "generate").value_or(false);
    if (generate == body->has("password"))
        throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_request",
                        "give either 'password' or \"generate\": true");
    const auto password = generate ? randomPassword() : requireString(*body, "password", kMaxField);
    try {
        services().accounts.resetPassword(id, password, {request.actorName(), request.clientAddress});
    }
    catch (const AccountError& e) {
        throw toHttpError(e);
    }
    if (!generate) {
        sendNoContent(response);
        return;
    }
    Poco::JSON::Object answer;
    answer.set("password", password);
    response.set("Cache-Control", "no-store");
    sendJson(response, Status::HTTP_OK, answer);
}

} // namespace parley::portal
