#include <parley/portal/accounts/ldap_admin_handlers.h>
#include <parley/portal/accounts/session_manager.h>

#include "directory_settings_json.h"
#include <parley/portal/accounts/directory_configuration.h>
#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_fields.h>
#include <parley/portal/http/json_response.h>
#include <parley/storage/audit_details.h>

#include <parley/storage/audit_log.h>

#include <Poco/JSON/Array.h>

#include <sstream>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

Poco::JSON::Object settingsBody(const DirectoryConfiguration& holder)
{
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("source", holder.saved() ? "admin_api" : "configuration_file");
    body.set("settings", directorySettingsJson(holder.settings()));
    return body;
}

// Which fields changed, with old and new values; the password only as "changed".
std::string changes(const ldap::DirectorySettings& before, const ldap::DirectorySettings& after)
{
    const auto a = directorySettingsJson(before);
    const auto b = directorySettingsJson(after);
    storage::AuditDetails details;
    for (const auto& [name, value] : *b) {
        if (a->get(name).toString() != value.toString()) {
            Poco::JSON::Object::Ptr change = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
            change->set("from", a->get(name).toString());
            change->set("to", value.toString());
            details.add("ldap." + name, change);
        }
    }
    if (before.bindPassword != after.bindPassword)
        details.add("ldap.bindPassword", "changed");
    return details.text();
}

} // namespace

void LdapSettingsHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    auto& holder = services().directory;
    const auto& method = request.http.getMethod();
    if (method == "PUT" || method == "DELETE") {
        const auto before = holder.settings();
        if (method == "PUT")
            holder.save(applyDirectorySettingsJson(*request.jsonBody(), before));
        else
            holder.revert();
        services().audit.append({request.actorName(), request.clientAddress, "config.change",
                                 "ldap", "success", changes(before, holder.settings())});
    }
    sendJson(response, Status::HTTP_OK, settingsBody(holder));
}

void LdapTestHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    auto settings = services().directory.settings();
    std::string testUser;
    std::string testPassword;
    if (!request.body.empty()) {
        const auto body = request.jsonBody();
        if (body->has("settings")) {
            const auto changes = body->getObject("settings");
            if (!changes)
                throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_request", "'settings' must be an object");
            settings = applyDirectorySettingsJson(*changes, settings);
        }
        testUser = optionalString(*body, "testUser", 256).value_or("");
        testPassword = optionalString(*body, "testPassword", 1024).value_or("");
    }
    const auto steps = ldap::Directory::testConnection(settings, testUser, testPassword);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    bool ok = true;
    for (const auto& step : steps) {
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        item->set("step", step.step);
        item->set("ok", step.ok);
        item->set("message", step.message);
        list->add(item);
        ok = ok && step.ok;
    }
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("ok", ok);
    body.set("steps", list);
    sendJson(response, Status::HTTP_OK, body);
}

} // namespace parley::portal
