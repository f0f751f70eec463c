#include <parley/storage/sip_endpoint_store.h>

#include <parley/storage/database.h>

#include <Poco/Data/RecordSet.h>
#include <Poco/Tuple.h>

using namespace Poco::Data::Keywords;

namespace parley::storage {
namespace {

using Row = Poco::Tuple<std::string, std::string, std::string, std::string, std::string, Poco::Int64, Poco::Int64>;

constexpr const char* kColumns = "username, display_name, realm, ha1, created_by, created_at, password_changed_at";

SipEndpoint endpointOf(const Row& row)
{
    return SipEndpoint{row.get<0>(), row.get<1>(), row.get<2>(), row.get<3>(), row.get<4>(), row.get<5>(), row.get<6>()};
}

int changes(Poco::Data::Session& session)
{
    int changed = 0;
    session << "SELECT changes()", into(changed), now;
    return changed;
}

} // namespace

bool SipEndpointStore::create(const SipEndpoint& endpoint)
{
    auto session = database_.session();
    auto copy = endpoint;
    Poco::Int64 createdAt = endpoint.createdAt;
    Poco::Int64 changedAt = endpoint.passwordChangedAt;
    session << "INSERT OR IGNORE INTO sip_endpoints (" << kColumns << ") VALUES (?, ?, ?, ?, ?, ?, ?)",
        use(copy.username), use(copy.displayName), use(copy.realm), use(copy.ha1), use(copy.createdBy),
        use(createdAt), use(changedAt), now;
    return changes(session) > 0;
}

std::vector<SipEndpoint> SipEndpointStore::list() const
{
    auto session = database_.session();
    std::vector<Row> rows;
    session << "SELECT " << kColumns << " FROM sip_endpoints ORDER BY username", into(rows), now;
    std::vector<SipEndpoint> endpoints;
    endpoints.reserve(rows.size());
    for (const auto& row : rows)
        endpoints.push_back(endpointOf(row));
    return endpoints;
}

std::optional<SipEndpoint> SipEndpointStore::find(const std::string& username) const
{
    auto session = database_.session();
    auto name = username;
    std::vector<Row> rows;
    session << "SELECT " << kColumns << " FROM sip_endpoints WHERE username = ?", use(name), into(rows), now;
    if (rows.empty())
        return std::nullopt;
    return endpointOf(rows.front());
}

bool SipEndpointStore::rename(const std::string& username, const std::string& displayName)
{
    auto session = database_.session();
    auto name = username;
    auto shown = displayName;
    session << "UPDATE sip_endpoints SET display_name = ? WHERE username = ?", use(shown), use(name), now;
    return changes(session) > 0;
}

bool SipEndpointStore::setCredentials(const std::string& username, const std::string& realm, const std::string& ha1,
                                      std::int64_t changedAt)
{
    auto session = database_.session();
    auto name = username;
    auto newRealm = realm;
    auto newHa1 = ha1;
    Poco::Int64 at = changedAt;
    session << "UPDATE sip_endpoints SET realm = ?, ha1 = ?, password_changed_at = ? WHERE username = ?",
        use(newRealm), use(newHa1), use(at), use(name), now;
    return changes(session) > 0;
}

bool SipEndpointStore::remove(const std::string& username)
{
    auto session = database_.session();
    auto name = username;
    session << "DELETE FROM sip_endpoints WHERE username = ?", use(name), now;
    return changes(session) > 0;
}

} // namespace parley::storage
