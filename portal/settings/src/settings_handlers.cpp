#include <parley/portal/settings/settings_handlers.h>

#include "security_settings_json.h"

#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_response.h>
#include <parley/portal/settings/settings_configuration.h>
#include <parley/storage/audit_details.h>
#include <parley/storage/audit_log.h>

#include <functional>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

constexpr const char* kTarget = "settings";

Poco::JSON::Object settingsBody(const SettingsConfiguration& configuration)
{
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("settings", settingsJson(configuration.current()));
    Poco::JSON::Object::Ptr sources = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& key : settingKeys())
        sources->set(key, configuration.saved(key) ? "admin_api" : "configuration_file");
    body.set("sources", sources);
    return body;
}

/// Runs a change and audits it: key -> {from, to} on success, the refusal's code otherwise.
void changeAudited(const SettingsHandlerServices& services, const ApiRequest& request,
                   const std::function<SettingChanges()>& change)
{
    SettingChanges changes;
    try {
        changes = change();
    }
    catch (const HttpError& e) {
        services.audit.append({request.actorName(), request.clientAddress, "config.change", kTarget, "failure",
                               storage::AuditDetails().add("reason", e.code()).add("message", std::string(e.what())).text()});
        throw;
    }
    storage::AuditDetails details;
    for (const auto& [key, values] : changes) {
        Poco::JSON::Object::Ptr change = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        change->set("from", values.from);
        change->set("to", values.to);
        details.add(key, change);
    }
    services.audit.append({request.actorName(), request.clientAddress, "config.change", kTarget, "success",
                           details.text()});
}

} // namespace

void SettingsHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto& method = request.http.getMethod();
    const auto client = request.http.clientAddress().host();
    if (method == "PUT") {
        const auto body = request.jsonBody();
        changeAudited(services(), request, [&] { return services().settings.save(*body, client); });
    }
    else if (method == "DELETE")
        changeAudited(services(), request, [&] { return services().settings.revert(std::nullopt, client); });
    sendJson(response, Status::HTTP_OK, settingsBody(services().settings));
}

void SettingHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto key = request.params.at("key");
    const auto client = request.http.clientAddress().host();
    changeAudited(services(), request, [&] { return services().settings.revert(key, client); });
    sendJson(response, Status::HTTP_OK, settingsBody(services().settings));
}

} // namespace parley::portal
