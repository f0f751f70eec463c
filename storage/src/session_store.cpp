#include <parley/storage/database.h>
#include <parley/storage/session_store.h>

#include <Poco/Tuple.h>

using namespace Poco::Data::Keywords;

namespace parley::storage {

void SessionStore::create(const SessionRecord& record)
{
    auto session = database_.session();
    auto copy = record;
    Poco::Int64 userId = copy.userId;
    Poco::Int64 createdAt = copy.createdAt;
    Poco::Int64 lastSeenAt = copy.lastSeenAt;
    Poco::Int64 expiresAt = copy.expiresAt;
    session << "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, "
               "expires_at, source_address) VALUES (?, ?, ?, ?, ?, ?, ?)",
        use(copy.tokenHash), use(userId), use(copy.csrfToken), use(createdAt), use(lastSeenAt),
        use(expiresAt), use(copy.sourceAddress), now;
}

std::optional<SessionRecord> SessionStore::find(const std::string& tokenHash)
{
    auto session = database_.session();
    using Row = Poco::Tuple<std::string, Poco::Int64, std::string, Poco::Int64, Poco::Int64,
                            Poco::Int64, std::string>;
    std::vector<Row> rows;
    std::string key = tokenHash;
    session << "SELECT token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, "
               "source_address FROM sessions WHERE token_hash = ?",
        use(key), into(rows), now;
    if (rows.empty())
        return std::nullopt;
    const auto& row = rows.front();
    return SessionRecord{row.get<0>(), row.get<1>(), row.get<2>(), row.get<3>(),
                         row.get<4>(), row.get<5>(), row.get<6>()};
}

void SessionStore::touch(const std::string& tokenHash, std::int64_t nowSeconds)
{
    auto session = database_.session();
    std::string key = tokenHash;
    Poco::Int64 seen = nowSeconds;
    session << "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", use(seen), use(key), now;
}

void SessionStore::remove(const std::string& tokenHash)
{
    auto session = database_.session();
    std::string key = tokenHash;
    session << "DELETE FROM sessions WHERE token_hash = ?", use(key), now;
}

std::int64_t SessionStore::removeForUser(std::int64_t userId)
{
    auto session = database_.session();
    Poco::Int64 key = userId;
    session << "DELETE FROM sessions WHERE user_id = ?", use(key), now;
    Poco::Int64 changed = 0;
    session << "SELECT changes()", into(changed), now;
    return changed;
}

std::int64_t SessionStore::removeExpired(std::int64_t nowSeconds, std::int64_t idleSeconds)
{
    auto session = database_.session();
    Poco::Int64 current = nowSeconds;
    Poco::Int64 idleCutoff = nowSeconds - idleSeconds;
    session << "DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?", use(current),
        use(idleCutoff), now;
    Poco::Int64 changed = 0;
    session << "SELECT changes()", into(changed), now;
    return changed;
}

} // namespace parley::storage
