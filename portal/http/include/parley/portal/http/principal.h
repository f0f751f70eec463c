#pragma once

#include <parley/storage/session_store.h>
#include <parley/storage/user_store.h>

#include <optional>
#include <string>

namespace parley::portal {

/// A request's authenticated user and the session it came with.
struct Principal
{
    storage::User user;
    storage::SessionRecord session;
    /// Whether the request came from an address the `[access]` admin lists permit. An admin's
    /// or auditor's powers over other people's rooms and recordings hold only then: from
    /// elsewhere they act as a plain user.
    bool adminAddress = true;

    bool isAdmin() const { return user.role == storage::Role::Admin && adminAddress; }
    bool isAuditor() const { return user.role == storage::Role::Auditor && adminAddress; }
};

/// Finds who holds a session token. The accounts part implements it; the handler framework
/// only needs the answer.
class SessionAuthenticator
{
public:
    virtual ~SessionAuthenticator() = default;
    /// The principal for a session token, or nullopt if the token is unknown, expired or its
    /// user may no longer log in.
    virtual std::optional<Principal> authenticate(const std::string& token) = 0;
};

/// The session cookie's name (the __Host- prefix pins it to this origin, path / and Secure).
inline constexpr const char* kSessionCookieName = "__Host-parley_session";

} // namespace parley::portal
