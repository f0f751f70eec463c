#include <parley/portal/settings/settings_configuration.h>

#include <parley/log/log_event.h>

#include "security_settings_json.h"

#include <parley/portal/accounts/login_throttle.h>
#include <parley/portal/accounts/session_manager.h>
#include <parley/portal/http/address_list.h>
#include <parley/portal/http/http_error.h>
#include <parley/portal/meetings/room_service.h>
#include <parley/portal/recordings/recording_library.h>
#include <parley/storage/database.h>

#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <algorithm>
#include <sstream>

using namespace Poco::Data::Keywords;

namespace parley::portal {
namespace {

using Var = Poco::Dynamic::Var;
using Status = Poco::Net::HTTPResponse::HTTPStatus;

constexpr const char* kStateKey = "security_settings";
constexpr const char* kRoomPolicyPrefix = "roomPolicy.";

Poco::Logger& logger()
{
    return Poco::Logger::get("portal.settings");
}

/// A value as JSON text, to compare values of any shape.
std::string jsonText(const Var& value)
{
    Poco::JSON::Object wrapper;
    wrapper.set("v", value);
    std::ostringstream out;
    wrapper.stringify(out);
    return out.str();
}

} // namespace

SettingsConfiguration::SettingsConfiguration(storage::Database& database, SecuritySettings fromFile,
                                             SettingsTargets targets)
    : database_(database), fromFile_(std::move(fromFile)), targets_(targets), current_(fromFile_)
{
    auto session = database_.session();
    std::vector<std::string> stored;
    std::string key = kStateKey;
    session << "SELECT value FROM server_state WHERE key = ?", use(key), into(stored), now;
    if (!stored.empty()) {
        try {
            const auto object = Poco::JSON::Parser().parse(stored.front()).extract<Poco::JSON::Object::Ptr>();
            for (const auto& [name, value] : *object) {
                // Each saved value is checked as if it were given now: a key this version
                // no longer has, or a value it refuses, leaves the file's value in force.
                try {
                    SecuritySettings scratch = fromFile_;
                    applySetting(scratch, name, value);
                    saved_[name] = settingValue(scratch, name);
                }
                catch (const HttpError& e) {
                    log::error(logger(), "settings.value_ignored",
                               "the saved setting '" + name + "' is ignored: " + e.what(),
                               {{"setting", name}, {"error", e.what()}});
                }
            }
            current_ = merged(saved_);
            log::info(logger(), "settings.saved_in_use",
                      std::to_string(saved_.size()) +
                          " security setting(s) saved through the admin API replace the file's",
                      {{"settings", saved_.size()}});
        }
        catch (const std::exception& e) {
            log::error(logger(), "settings.saved_unusable",
                       std::string("the saved security settings cannot be used (") + e.what() +
                           "); using the configuration file's",
                       {{"error", e.what()}});
            saved_.clear();
            current_ = fromFile_;
        }
    }
    push(current_);
}

SecuritySettings SettingsConfiguration::current() const
{
    std::lock_guard lock(mutex_);
    return current_;
}

bool SettingsConfiguration::saved(const std::string& key) const
{
    std::lock_guard lock(mutex_);
    return saved_.contains(key);
}

SettingChanges SettingsConfiguration::save(const Poco::JSON::Object& body, const Poco::Net::IPAddress& client)
{
    std::lock_guard lock(mutex_);
    auto saved = saved_;
    for (auto& [key, value] : settingChanges(body, current_))
        saved[key] = std::move(value);
    return commit(std::move(saved), client);
}

SettingChanges SettingsConfiguration::revert(const std::optional<std::string>& key, const Poco::Net::IPAddress& client)
{
    std::lock_guard lock(mutex_);
    auto saved = saved_;
    if (!key)
        saved.clear();
    else if (*key == "roomPolicy")
        std::erase_if(saved, [](const auto& entry) { return entry.first.starts_with(kRoomPolicyPrefix); });
    else if (std::find(settingKeys().begin(), settingKeys().end(), *key) != settingKeys().end())
        saved.erase(*key);
    else
        throw HttpError(Status::HTTP_NOT_FOUND, "unknown_setting",
                        "there is no setting '" + key->substr(0, 64) + "' (docs/api.md lists them)");
    return commit(std::move(saved), client);
}

SecuritySettings SettingsConfiguration::merged(const std::map<std::string, Var>& saved) const
{
    auto settings = fromFile_;
    for (const auto& [key, value] : saved)
        applySetting(settings, key, value);
    checkSettings(settings);
    return settings;
}

SettingChanges SettingsConfiguration::commit(std::map<std::string, Var> saved, const Poco::Net::IPAddress& client)
{
    const auto next = merged(saved);
    // The admin saving the lists must still reach the admin endpoints afterwards, or nobody
    // may be left who can undo them short of editing the database.
    if (!next.portalAccess().permits(client) || !next.adminAccess().permits(client))
        throw HttpError(Status::HTTP_CONFLICT, "would_lock_out",
                        "these address lists would refuse your own address (" + client.toString() +
                            ") the admin endpoints; include it in the allow lists and keep it out of the deny lists");
    SettingChanges changes;
    for (const auto& key : settingKeys()) {
        auto from = settingValue(current_, key);
        auto to = settingValue(next, key);
        if (jsonText(from) != jsonText(to))
            changes[key] = {std::move(from), std::move(to)};
    }
    store(saved);
    saved_ = std::move(saved);
    current_ = next;
    push(current_);
    return changes;
}

void SettingsConfiguration::store(const std::map<std::string, Var>& saved)
{
    auto session = database_.session();
    std::string key = kStateKey;
    if (saved.empty()) {
        session << "DELETE FROM server_state WHERE key = ?", use(key), now;
        return;
    }
    Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& [name, value] : saved)
        object.set(name, value);
    std::ostringstream out;
    object.stringify(out);
    std::string value = out.str();
    session << "INSERT OR REPLACE INTO server_state (key, value) VALUES (?, ?)", use(key), use(value), now;
}

void SettingsConfiguration::push(const SecuritySettings& settings)
{
    targets_.access.set(settings.portalAccess(), settings.adminAccess());
    targets_.sessions.setSessionLimits(settings.sessionIdle, settings.sessionLifetime);
    auto login = targets_.sessions.throttle().settings();
    login.accountFreeAttempts = settings.lockoutAccountAttempts;
    login.addressFreeAttempts = settings.lockoutAddressAttempts;
    login.baseLockout = settings.lockoutBase;
    login.maxLockout = settings.lockoutMax;
    targets_.sessions.throttle().setSettings(login);
    // PIN and meeting-ID guessing use the login lockout times (docs/configuration.md).
    for (auto* throttle : {&targets_.pinThrottle, &targets_.meetingIdThrottle}) {
        auto guessing = throttle->settings();
        guessing.baseLockout = settings.lockoutBase;
        guessing.maxLockout = settings.lockoutMax;
        throttle->setSettings(guessing);
    }
    targets_.rooms.setPolicy(settings.pinPolicy(), settings.roomPolicy);
    targets_.recordings.setRetentionDays(settings.recordingRetentionDays);
}

} // namespace parley::portal
