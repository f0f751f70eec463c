#pragma once

#include <parley/ldap/directory_settings.h>
#include <parley/portal/accounts/password_hash.h>

#include <chrono>
#include <cstddef>

namespace parley::portal {

/// Brute-force defence: after `freeAttempts` consecutive failures for one account (or one
/// source address), each further failure locks it for `baseLockout` doubled per extra
/// failure, at most `maxLockout`. Counters are forgotten after `failureWindow` without
/// failures. While locked, login answers 429 with Retry-After without checking the password.
struct ThrottleSettings
{
    int accountFreeAttempts = 5;
    int addressFreeAttempts = 20;
    std::chrono::seconds baseLockout{30};
    std::chrono::seconds maxLockout{900};
    std::chrono::seconds failureWindow{900};
};

/// Accounts, sessions and login policy (the `[accounts]`, `[sessions]` and `[login]`
/// configuration sections).
struct AccountSettings
{
    int pbkdf2Iterations = kDefaultPbkdf2Iterations;
    PasswordPolicy passwordPolicy;
    std::chrono::seconds sessionIdleTimeout{1800};
    std::chrono::seconds sessionLifetime{43200};
    ThrottleSettings throttle;
    /// Directory login ([ldap]); an admin may replace it at run time through the API.
    ldap::DirectorySettings directory;
};

} // namespace parley::portal
