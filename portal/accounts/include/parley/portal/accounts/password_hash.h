#pragma once

#include <string>
#include <string_view>

namespace parley::portal {

/// PBKDF2-HMAC-SHA256 (OpenSSL) password hashes in the self-describing form
/// `$pbkdf2-sha256$i=<iterations>$<salt>$<hash>` (salt 16 random bytes, hash 32 bytes, both
/// base64 without padding). Recording the algorithm and iteration count lets the count be
/// raised later: verifyPassword reports hashes made with fewer iterations, and the login path
/// rehashes them.
inline constexpr int kDefaultPbkdf2Iterations = 600000; // OWASP 2023 figure for SHA-256
inline constexpr int kMaxPbkdf2Iterations = 10000000;

/// Hashes `password` with a fresh random salt. Throws std::invalid_argument if `iterations`
/// is below 1 or above kMaxPbkdf2Iterations, std::runtime_error if OpenSSL fails.
std::string hashPassword(std::string_view password, int iterations);

struct PasswordCheck
{
    bool matches = false;
    /// The hash used fewer iterations than asked for; store a new one.
    bool needsRehash = false;
};

/// Checks `password` against an encoded hash in constant time. A malformed or unsupported
/// `encoded` value never matches (it is not an error: the database may hold anything).
/// Always costs at least `currentIterations` rounds, even for a hash made with fewer: a
/// login must take as long for an account with an old hash as for an unknown name.
PasswordCheck verifyPassword(std::string_view password, std::string_view encoded,
                             int currentIterations);

/// The admin's rules for new passwords.
struct PasswordPolicy
{
    std::size_t minLength = 12; ///< in characters (UTF-8 code points)
    std::size_t maxBytes = 1024;
};

/// "" when `password` is acceptable, otherwise what is wrong, for the user to read.
std::string checkPasswordPolicy(std::string_view password, const PasswordPolicy& policy);

} // namespace parley::portal
