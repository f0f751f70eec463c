#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace parley::storage {

class Database;

/// What a user may do. Guests are never users.
enum class Role
{
    Admin,   ///< everything
    Auditor, ///< reads the audit log (and, later, recording access records); nothing else
    User,    ///< meetings and their own account
};

std::string_view toString(Role role);
/// The role named `text` ("admin", "auditor", "user"), or nullopt.
std::optional<Role> parseRole(std::string_view text);

/// A user account as stored.
struct User
{
    std::int64_t id = 0;
    std::string username; ///< unique, lower case
    std::string displayName;
    Role role = Role::User;
    std::string source = "local"; ///< "local" or "ldap" (directory users have no password here)
    std::string passwordHash;     ///< encoded hash, "" when none
    bool disabled = false;
    std::string createdAt;
    std::string updatedAt;
    std::string lastLoginAt; ///< "" before the first sign-in
};

/// How a user is shown to other users (people search): a name, nothing more.
struct UserName
{
    std::string username;
    std::string displayName;
};

/// Thrown by create() when the username is taken.
class DuplicateUserError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// The users table. Every method takes a pooled connection and uses bound parameters only.
class UserStore
{
public:
    explicit UserStore(Database& database) : database_(database) {}

    /// Inserts `user` (its id and timestamps are assigned) and returns it as stored.
    /// Throws DuplicateUserError if the username exists.
    User create(User user);

    std::optional<User> findById(std::int64_t id);
    std::optional<User> findByUsername(const std::string& username);

    /// Users ordered by username, `limit` of them from `offset`; with `text`, only those whose
    /// username or display name contains it, ignoring case (as searchEnabled, disabled users
    /// included).
    std::vector<User> list(std::int64_t offset, std::int64_t limit, std::string_view text = {});
    std::int64_t count(std::string_view text = {});

    /// Notes that the user signed in now.
    void recordLogin(std::int64_t id);

    /// At most `limit` enabled users whose username or display name contains `text`,
    /// ignoring case (Unicode lower case; no wildcards: `%` and `_` are plain characters):
    /// those where it starts either name first, then by username.
    std::vector<UserName> searchEnabled(std::string_view text, std::int64_t limit);

    /// Writes display name, role and disabled flag of the stored user with `user.id`;
    /// returns false if there is no such user. The password hash is written only by
    /// setPasswordHash, so a change made from an older copy of the row cannot undo a
    /// password change made meanwhile.
    bool update(const User& user);

    /// Sets a local user's password hash; false if there is no such local user.
    bool setPasswordHash(std::int64_t id, const std::string& passwordHash);

    /// Updates a directory user's name and role at login, only if the record is still a
    /// directory user and not disabled (an admin may have disabled it while the directory
    /// was being asked); false otherwise.
    bool refreshDirectoryUser(std::int64_t id, const std::string& displayName, Role role);

    /// Deletes the user (and, by cascade, their sessions); false if there was none.
    bool remove(std::int64_t id);

    /// Enabled admins, to refuse removing the last one.
    std::int64_t countEnabledAdmins();

private:
    Database& database_;
};

} // namespace parley::storage
