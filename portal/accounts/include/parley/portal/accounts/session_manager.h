#pragma once

#include <parley/portal/accounts/directory_configuration.h>
#include <parley/portal/accounts/login_throttle.h>
#include <parley/portal/http/api_handler.h>

#include <parley/portal/accounts/account_settings.h>
#include <parley/storage/session_store.h>
#include <parley/storage/user_store.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

namespace parley::storage {
class AuditLog;
class Database;
} // namespace parley::storage

namespace parley::portal {

class MetricCounter;
class MetricHistogram;

struct LoginResult
{
    enum class Status
    {
        Ok,
        Invalid,   ///< wrong name or password, or an account that may not log in
        Throttled, ///< too many failures; try again after retryAfter
        DirectoryUnavailable, ///< a directory user, and no directory server answered
        EmptyPassword, ///< refused (and audited) before any check: never a bind, never a hash
    };
    Status status = Status::Invalid;
    std::chrono::seconds retryAfter{0};
    std::string token; ///< the session token for the cookie (only when Ok)
    std::optional<Principal> principal;
};

/// Logins and sessions. Tokens are 256-bit random values; only their SHA-256 is stored.
class SessionManager : public SessionAuthenticator
{
public:
    SessionManager(storage::Database& database, storage::AuditLog& audit,
                   const AccountSettings& settings, DirectoryConfiguration& directory);

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
    std::optional<Principal> authenticate(const std::string& token) override;

    void logout(const Principal& principal, const std::string& address);

    /// Deletes expired sessions; returns how many.
    std::int64_t removeExpired();

    /// New session limits from the next check on (an admin changed them at run time). The
    /// idle limit applies to every session at its next request; a shorter lifetime ends
    /// sessions older than it at their next request, a longer one is given only to sessions
    /// started after the change (each session keeps the end it was issued with).
    void setSessionLimits(std::chrono::seconds idle, std::chrono::seconds lifetime);
    /// The login lockout thresholds, from the next login attempt on.
    LoginThrottle& throttle() { return throttle_; }

    /// From now on every login is counted in `logins` (labels source: local, ldap or none;
    /// result: success or failure; reason: the audit log's reason code, "" on success,
    /// "throttled" for attempts refused by the lockout) and every directory bind in
    /// `directoryLatency` (label operation="login", seconds). Both must outlive this.
    void observeWith(MetricCounter& logins, MetricHistogram& directoryLatency)
    {
        logins_ = &logins;
        directoryLatency_ = &directoryLatency;
    }

private:
    LoginResult localLogin(LoginThrottle::Attempt& attempt, const std::optional<storage::User>& user,
                           const std::string& actor, const std::string& password, const std::string& address);
    LoginResult directoryLogin(LoginThrottle::Attempt& attempt, ldap::Directory& directory,
                               const std::optional<storage::User>& shadow, const std::string& login,
                               const std::string& password, const std::string& address);
    LoginResult refuse(LoginThrottle::Attempt& attempt, const std::string& actor, const std::string& address,
                       std::string_view reason, std::string_view source);
    void count(std::string_view source, std::string_view result, std::string_view reason);

    storage::Database& database_;
    storage::AuditLog& audit_;
    AccountSettings settings_;
    storage::UserStore users_;
    storage::SessionStore sessions_;
    LoginThrottle throttle_;
    std::string dummyHash_; ///< verified against when there is no real hash, for equal timing
    DirectoryConfiguration& directory_;
    std::atomic<std::int64_t> idleSeconds_;
    std::atomic<std::int64_t> lifetimeSeconds_;
    std::atomic<MetricCounter*> logins_{nullptr};
    std::atomic<MetricHistogram*> directoryLatency_{nullptr};
};

} // namespace parley::portal
