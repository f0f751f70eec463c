#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace parley::storage {

class Database;

/// A login session as stored. Times are Unix seconds.
struct SessionRecord
{
    std::string tokenHash; ///< hex SHA-256 of the token; the token itself is never stored
    std::int64_t userId = 0;
    std::string csrfToken;
    std::int64_t createdAt = 0;
    std::int64_t lastSeenAt = 0;
    std::int64_t expiresAt = 0; ///< absolute end of the session
    std::string sourceAddress;
};

/// The sessions table.
class SessionStore
{
public:
    explicit SessionStore(Database& database) : database_(database) {}

    void create(const SessionRecord& session);
    std::optional<SessionRecord> find(const std::string& tokenHash);
    /// Records activity at `now` (the idle timeout counts from the last activity).
    void touch(const std::string& tokenHash, std::int64_t now);
    void remove(const std::string& tokenHash);
    /// Ends every session of the user; returns how many there were.
    std::int64_t removeForUser(std::int64_t userId);
    /// Deletes sessions past their absolute end or idle longer than `idleSeconds`.
    std::int64_t removeExpired(std::int64_t now, std::int64_t idleSeconds);

private:
    Database& database_;
};

} // namespace parley::storage
