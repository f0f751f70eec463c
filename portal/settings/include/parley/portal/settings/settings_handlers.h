#pragma once

#include <parley/portal/http/api_handler.h>

namespace parley::storage {
class AuditLog;
}

namespace parley::portal {

class SettingsConfiguration;

/// What the settings endpoints work with; owned by the server.
struct SettingsHandlerServices
{
    storage::AuditLog& audit;
    SettingsConfiguration& settings;
};

using SettingsServiceHandler = ServiceHandler<SettingsHandlerServices>;

/// `GET /api/v1/admin/settings`: the settings in force and where each comes from;
/// `PUT`: saves the keys given (validated, audited as config.change, in force at once);
/// `DELETE`: every key back to the configuration file's value. docs/api.md has the body.
class SettingsHandler : public SettingsServiceHandler
{
public:
    using SettingsServiceHandler::SettingsServiceHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `DELETE /api/v1/admin/settings/{key}`: one key (or "roomPolicy": every room option) back
/// to the configuration file's value; answers as GET /admin/settings.
class SettingHandler : public SettingsServiceHandler
{
public:
    using SettingsServiceHandler::SettingsServiceHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

} // namespace parley::portal
