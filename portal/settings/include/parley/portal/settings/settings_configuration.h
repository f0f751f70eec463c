#pragma once

#include <parley/portal/settings/security_settings.h>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/IPAddress.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace parley::storage {
class Database;
}

namespace parley::portal {

class AccessControl;
class LoginThrottle;
class RecordingLibrary;
class RoomService;
class SessionManager;

/// The parts that enforce the settings; each takes a new value from its next request, join,
/// login attempt or retention run.
struct SettingsTargets
{
    AccessControl& access;
    SessionManager& sessions;
    LoginThrottle& pinThrottle;       ///< takes the lockout times (its own free attempts stay)
    LoginThrottle& meetingIdThrottle; ///< likewise
    RoomService& rooms;
    RecordingLibrary& recordings;
};

/// Before and after of each key a change touched, in the API's form (for the audit log).
struct SettingChange
{
    Poco::Dynamic::Var from;
    Poco::Dynamic::Var to;
};
using SettingChanges = std::map<std::string, SettingChange>;

/// The security settings and room policy in force. The configuration file's values apply
/// unless an admin saved one through the API; saved values are kept in the database
/// (server_state "security_settings", one entry per key) and win until reverted. Every
/// change is pushed into the targets at once. Thread-safe; changes are serialised.
class SettingsConfiguration
{
public:
    /// Reads the saved values (a saved value that no longer passes validation is logged and
    /// ignored: the file's applies) and pushes the result into `targets`, which must outlive
    /// this object.
    SettingsConfiguration(storage::Database& database, SecuritySettings fromFile, SettingsTargets targets);

    SecuritySettings current() const;
    /// Whether `key` (one of settingKeys()) comes from the API (true) or the file (false).
    bool saved(const std::string& key) const;

    /// Validates and saves the keys of a PUT body, then applies them; returns what changed.
    /// Throws HttpError 400 (unknown_setting, invalid_setting) or 409 `would_lock_out` when
    /// the new lists would refuse `client` (the address saving them) the admin endpoints.
    /// Nothing is saved when it throws.
    SettingChanges save(const Poco::JSON::Object& body, const Poco::Net::IPAddress& client);

    /// Forgets the saved value of `key` (every key when nullopt): the file's applies again.
    /// Throws HttpError 404 `unknown_setting` for a key the API does not have, and 409
    /// `would_lock_out` as save().
    SettingChanges revert(const std::optional<std::string>& key, const Poco::Net::IPAddress& client);

private:
    /// The file's values with `saved` over them; throws as applySetting/checkSettings.
    SecuritySettings merged(const std::map<std::string, Poco::Dynamic::Var>& saved) const;
    SettingChanges commit(std::map<std::string, Poco::Dynamic::Var> saved, const Poco::Net::IPAddress& client);
    void store(const std::map<std::string, Poco::Dynamic::Var>& saved);
    void push(const SecuritySettings& settings);

    storage::Database& database_;
    const SecuritySettings fromFile_;
    SettingsTargets targets_;
    mutable std::mutex mutex_;
    std::map<std::string, Poco::Dynamic::Var> saved_;
    SecuritySettings current_;
};

} // namespace parley::portal
