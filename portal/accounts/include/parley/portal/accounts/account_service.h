#pragma once

#include <parley/portal/accounts/account_settings.h>
#include <parley/storage/user_store.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

namespace parley::storage {
class AuditLog;
class Database;
} // namespace parley::storage

namespace parley::portal {

/// Why an account operation was refused. `code` is the API's error code.
class AccountError : public std::runtime_error
{
public:
    enum class Kind
    {
        Invalid,   ///< the request is malformed or breaks a rule (HTTP 400)
        NotFound,  ///< no such user (404)
        Conflict,  ///< the current state forbids it, e.g. the last admin (409)
        Forbidden, ///< e.g. wrong current password (403)
    };
    AccountError(Kind kind, std::string code, const std::string& message)
        : std::runtime_error(message), kind_(kind), code_(std::move(code))
    {}
    Kind kind() const { return kind_; }
    const std::string& code() const { return code_; }

private:
    Kind kind_;
    std::string code_;
};

/// Who acts, for the audit log.
struct Actor
{
    std::string name;    ///< username, "parleyctl:<unix user>", or "system"
    std::string address; ///< client IP or "local"
};

struct NewUser
{
    std::string username;
    std::string displayName; ///< empty: the username
    std::string password;
    storage::Role role = storage::Role::User;
};

/// Fields to change; unset ones stay as they are.
struct UserChanges
{
    std::optional<std::string> displayName;
    std::optional<storage::Role> role;
    std::optional<bool> disabled;
};

/// Local accounts: creation, changes, passwords, deletion. Validates input, enforces the
/// rules (password policy, never fewer than one enabled admin), revokes sessions when a
/// password changes or an account is disabled or deleted, and audits every change.
/// Used by the REST API and by parleyctl.
class AccountService
{
public:
    AccountService(storage::Database& database, storage::AuditLog& audit,
                   const AccountSettings& settings);

    /// Throws AccountError (Invalid for a bad name, display name, role or password; Conflict
    /// if the username is taken).
    storage::User createUser(const NewUser& request, const Actor& actor);

    /// Throws AccountError: NotFound, Invalid, or Conflict when it would leave no enabled admin.
    storage::User updateUser(std::int64_t id, const UserChanges& changes, const Actor& actor);

    /// Sets a new password chosen by an admin (or parleyctl) and ends the user's sessions.
    void resetPassword(std::int64_t id, const std::string& newPassword, const Actor& actor);

    /// The user's own change; `currentPassword` must match (AccountError Forbidden otherwise).
    /// Ends all the user's sessions.
    void changeOwnPassword(std::int64_t id, const std::string& currentPassword,
                           const std::string& newPassword, const Actor& actor);

    /// Throws AccountError NotFound, or Conflict for the last enabled admin or oneself.
    void deleteUser(std::int64_t id, const Actor& actor);

    /// The canonical form of a login name (lower case), or nullopt if it is not acceptable:
    /// 1 to 64 characters of a-z, 0-9, '.', '_', '-', '@', starting with a letter or digit.
    static std::optional<std::string> normalizeUsername(std::string_view username);

    const AccountSettings& settings() const { return settings_; }

private:
    storage::User requireUser(std::int64_t id);
    std::string newPasswordHash(const std::string& password);
    /// Hashes and stores a new password, ends the user's sessions, audits `action`.
    void storePassword(storage::User user, const std::string& newPassword,
                       const std::string& action, const Actor& actor);

    storage::UserStore users_;
    std::mutex adminChanges_;
    storage::Database& database_;
    storage::AuditLog& audit_;
    AccountSettings settings_;
};

} // namespace parley::portal
