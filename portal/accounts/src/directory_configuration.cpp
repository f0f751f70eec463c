#include <parley/portal/accounts/directory_configuration.h>

#include <parley/log/log_event.h>

#include "directory_settings_json.h"

#include <parley/storage/database.h>

#include <Poco/Logger.h>

using namespace Poco::Data::Keywords;

namespace parley::portal {
namespace {
constexpr const char* kStateKey = "ldap_settings";
}

DirectoryConfiguration::DirectoryConfiguration(storage::Database& database, ldap::DirectorySettings fromConfiguration)
    : database_(database), fromConfiguration_(std::move(fromConfiguration))
{
    auto session = database_.session();
    std::vector<std::string> stored;
    std::string key = kStateKey;
    session << "SELECT value FROM server_state WHERE key = ?", use(key), into(stored), now;
    if (stored.empty()) {
        apply(fromConfiguration_, false);
        return;
    }
    try {
        apply(directorySettingsFromStoredJson(stored.front()), true);
        log::info(Poco::Logger::get("portal.ldap"), "ldap.settings_saved",
                  "directory settings saved through the admin API replace the [ldap] section");
    }
    catch (const std::exception& e) {
        log::error(Poco::Logger::get("portal.ldap"), "ldap.settings_unusable",
                   std::string("the saved directory settings cannot be read (") + e.what() +
                       "); using the [ldap] section",
                   {{"error", e.what()}});
        apply(fromConfiguration_, false);
    }
}

void DirectoryConfiguration::apply(const ldap::DirectorySettings& settings, bool saved)
{
    std::lock_guard lock(mutex_);
    settings_ = settings;
    saved_ = saved;
    directory_ = settings.enabled ? std::make_shared<ldap::Directory>(settings) : nullptr;
}

std::shared_ptr<ldap::Directory> DirectoryConfiguration::current() const
{
    std::lock_guard lock(mutex_);
    return directory_;
}

ldap::DirectorySettings DirectoryConfiguration::settings() const
{
    std::lock_guard lock(mutex_);
    return settings_;
}

bool DirectoryConfiguration::saved() const
{
    std::lock_guard lock(mutex_);
    return saved_;
}

void DirectoryConfiguration::save(const ldap::DirectorySettings& settings)
{
    auto session = database_.session();
    std::string key = kStateKey;
    std::string value = directorySettingsToStoredJson(settings);
    session << "INSERT OR REPLACE INTO server_state (key, value) VALUES (?, ?)", use(key),
        use(value), now;
    apply(settings, true);
}

void DirectoryConfiguration::revert()
{
    auto session = database_.session();
    std::string key = kStateKey;
    session << "DELETE FROM server_state WHERE key = ?", use(key), now;
    apply(fromConfiguration_, false);
}

} // namespace parley::portal
