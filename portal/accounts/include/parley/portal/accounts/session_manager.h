#pragma once

#include "directory_holder.h"
#include "login_throttle.h"

#include <parley/portal/account_settings.h>
#include <parley/storage/session_store.h>
#include <parley/storage/user_store.h>

#include <chrono>
#include <optional>
#include <string>

namespace parley::storage {
class AuditLog;
class Database;
} // namespace parley::storage

namespace parley::portal {

/// A request's authenticated user and the session it came with.
struct Principal
{
    storage::User user;
    storage::SessionRecord session;
};

struct LoginResult
{
    enum class Status
    {
        Ok,
        Invalid,   ///< wrong name or password, or an account that may not log in
        Throttled, ///< too many failures; try again after retryAfter
        DirectoryUnavailable, ///< a directory user, and no directory server answered
    };
    Status status = Status::Invalid;
    std::chrono::seconds retryAfter{0};
    std::string token; ///< the session token for the cookie (only when Ok)
    std::optional<Principal> principal;
};

/// Logins and sessions. Tokens are 256-bit random values; only their SHA-256 is stored.
class SessionManager
{
public:
    SessionManager(storage::Database& database, storage::AuditLog& audit,
                   const AccountSettings& settings, DirectoryHolder& directory);

    /// Checks the credentials: local accounts against their hash; other names, when directory
    /// login is on, against the directory (creating or updating a shadow record with no
    /// password, role from the groups). Local accounts keep working when the directory is
    /// down. Unknown names and disabled accounts give the same result as a wrong password;
    /// the audit log records which it was.
    LoginResult login(const std::string& username, const std::string& password,
                      const std::string& address);

    /// A new session for a user whose credentials were just proven (after a password change).
    LoginResult startSession(const storage::User& user, const std::string& address);

    /// The principal for a session token, or nullopt if the token is unknown, expired (idle
    /// or absolute), or its user is gone or disabled. Records activity on success.
    std::optional<Principal> authenticate(const std::string& token);

    void logout(const Principal& principal, const std::string& address);

    /// Deletes expired sessions; returns how many.
    std::int64_t removeExpired();

    static constexpr const char* kCookieName = "__Host-parley_session";

private:
    LoginResult localLogin(const std::optional<storage::User>& user, const std::string& actor,
                           const std::string& throttleKey, const std::string& password,
                           const std::string& address);
    LoginResult directoryLogin(ldap::Directory& directory, const std::optional<storage::User>& shadow,
                               const std::string& login, const std::string& throttleKey,
                               const std::string& password, const std::string& address);
    LoginResult refuse(const std::string& actor, const std::string& throttleKey,
                       const std::string& address, std::string_view reason);

    storage::Database& database_;
    storage::AuditLog& audit_;
    AccountSettings settings_;
    storage::UserStore users_;
    storage::SessionStore sessions_;
    LoginThrottle throttle_;
    std::string dummyHash_; ///< verified against when there is no real hash, for equal timing
    DirectoryHolder& directory_;
};

/// 32 random bytes as unpadded base64url (43 characters).
std::string randomToken();

/// Hex SHA-256 of a token, as stored.
std::string tokenHash(const std::string& token);

} // namespace parley::portal
