#include <parley/storage/metrics_token_store.h>

#include <parley/storage/database.h>

#include <vector>

using namespace Poco::Data::Keywords;

namespace parley::storage {
namespace {
constexpr const char* kStateKey = "metrics_token_sha256";
}

void MetricsTokenStore::replace(const std::string& tokenHash)
{
    auto session = database_.session();
    std::string key = kStateKey;
    std::string value = tokenHash;
    session << "INSERT OR REPLACE INTO server_state (key, value) VALUES (?, ?)", use(key), use(value), now;
}

bool MetricsTokenStore::revoke()
{
    auto session = database_.session();
    std::string key = kStateKey;
    session << "DELETE FROM server_state WHERE key = ?", use(key), now;
    int changed = 0;
    session << "SELECT changes()", into(changed), now;
    return changed > 0;
}

std::optional<std::string> MetricsTokenStore::tokenHash() const
{
    auto session = database_.session();
    std::string key = kStateKey;
    std::vector<std::string> stored;
    session << "SELECT value FROM server_state WHERE key = ?", use(key), into(stored), now;
    if (stored.empty())
        return std::nullopt;
    return stored.front();
}

} // namespace parley::storage
