#pragma once

#include <parley/ldap/directory_settings.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace parley::ldap {

class DirectoryConnection;
class UnansweredServers;

/// A server that did not answer within the network timeout is tried after the others for this
/// long, so that failover costs one timeout, once, not one per connection of every login.
inline constexpr std::chrono::seconds kSkipUnansweredServerFor{60};
/// group_mode nested_search follows nesting this many levels above the user's own groups
/// (those are level 1); deeper groups are not read, and the connection test says so.
inline constexpr int kMaxGroupNestingDepth = 10;
/// At most this many groups of one user are read (per search, and in total for nested_search).
inline constexpr std::size_t kMaxGroupsPerUser = 1000;

/// A user the directory vouched for.
struct DirectoryUser
{
    std::string dn;
    std::string login; ///< the login attribute's value, as the directory spells it
    std::string displayName;
    std::string mail;
    std::vector<std::string> groups; ///< group DNs
    std::string role;                ///< "admin", "auditor" or "user"
};

/// Why a directory login did not succeed. Codes go to the audit log (and into an admin's
/// connection test), never to the person logging in.
enum class AuthFailure
{
    None,
    EmptyPassword,        ///< refused before contacting the directory
    UnknownUser,          ///< the search found nobody
    AmbiguousUser,        ///< the search found several entries
    WrongPassword,        ///< the bind as the user failed
    Disabled,             ///< Active Directory userAccountControl has ACCOUNTDISABLE (2)
    NoGroup,              ///< in none of the mapped groups
    DirectoryUnavailable, ///< no server answered, or the service bind failed
};

std::string_view reasonCode(AuthFailure failure);

struct AuthResult
{
    AuthFailure failure = AuthFailure::None;
    std::optional<DirectoryUser> user;
    std::string detail; ///< for the server log (which server, what error), never a password
};

/// One step of a connection test, for the admin.
struct TestStep
{
    std::string step; ///< "connect", "tls", "service_bind", "search", "user_bind", "groups"
    bool ok = false;
    std::string message; ///< what happened, and what to fix when it failed
};

/// The organisation's directory. Thread-safe: the service connection is shared (one request
/// at a time) and re-established after a failure; each user's password is checked by a bind
/// on a connection of its own. A server that does not answer costs at most the network
/// timeout, and is then tried after the others for kSkipUnansweredServerFor, so a login waits
/// for it at most once; every operation has the operation timeout, so no caller hangs.
/// The process must ignore SIGPIPE (parleyd does): libldap writes to sockets that the
/// directory may have closed.
class Directory
{
public:
    explicit Directory(DirectorySettings settings);
    ~Directory();

    /// Checks `login` and `password` against the directory. An empty password is refused
    /// before any network traffic (an empty password is an anonymous bind on many servers).
    AuthResult authenticate(const std::string& login, const std::string& password);

    /// Runs each step with `settings` (which need not be saved) and stops at the first
    /// failure: connect (a server that accepts TCP but says nothing is reported as not
    /// answering), tls (a certificate problem named: wrong host, untrusted CA, expired ...),
    /// service_bind, search. With a test user, also user_bind (find and bind as them) and
    /// groups (the groups found and the role each maps to; fails when none maps to a role).
    static std::vector<TestStep> testConnection(const DirectorySettings& settings,
                                                const std::string& testLogin = {},
                                                const std::string& testPassword = {});

    const DirectorySettings& settings() const { return settings_; }

private:
    AuthResult authenticateLocked(const std::string& login, const std::string& password);

    DirectorySettings settings_;
    std::mutex mutex_;
    std::unique_ptr<DirectoryConnection> service_;
    std::unique_ptr<UnansweredServers> unanswered_;
};

/// RFC 4515 escaping of a value for use inside a search filter (`*`, `(`, `)`, `\`, NUL and
/// non-ASCII bytes become `\xx`).
std::string escapeFilterValue(const std::string& value);

/// `text` with each `{name}` replaced by `value` (already escaped by the caller).
std::string fillTemplate(std::string text, const std::string& name, const std::string& value);

} // namespace parley::ldap
