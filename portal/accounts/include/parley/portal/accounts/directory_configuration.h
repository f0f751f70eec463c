#pragma once

#include <parley/ldap/directory.h>

#include <memory>
#include <mutex>

namespace parley::storage {
class Database;
}

namespace parley::portal {

/// The directory configuration in force and the Directory built from it. The INI's [ldap]
/// section applies unless an admin saved a configuration through the API; that one is kept
/// in the database (server_state "ldap_settings") and wins until it is deleted.
class DirectoryConfiguration
{
public:
    DirectoryConfiguration(storage::Database& database, ldap::DirectorySettings fromConfiguration);

    /// The directory to log in against, or nullptr when directory login is off.
    std::shared_ptr<ldap::Directory> current() const;
    ldap::DirectorySettings settings() const;
    /// Whether the settings come from the admin API (true) or the INI file (false).
    bool saved() const;

    /// Stores `settings` in the database and uses them from now on.
    void save(const ldap::DirectorySettings& settings);
    /// Forgets the saved settings and goes back to the INI file's.
    void revert();

private:
    void apply(const ldap::DirectorySettings& settings, bool saved);

    storage::Database& database_;
    ldap::DirectorySettings fromConfiguration_;
    mutable std::mutex mutex_;
    ldap::DirectorySettings settings_;
    std::shared_ptr<ldap::Directory> directory_;
    bool saved_ = false;
};

} // namespace parley::portal
