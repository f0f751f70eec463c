#include <parley/storage/database.h>
#include <parley/storage/migrator.h>
#include <parley/storage/schema.h>

#include "text_search.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SessionPool.h>
#include <Poco/Exception.h>

#include <mutex>

using namespace Poco::Data::Keywords;

namespace parley::storage {
namespace {

void registerSqlite()
{
    static std::once_flag once;
    std::call_once(once, [] { Poco::Data::SQLite::Connector::registerConnector(); });
}

void configureConnection(Poco::Data::Session& session, std::chrono::milliseconds busyTimeout)
{
    // Per-connection settings: SQLite does not persist these in the file.
    session << "PRAGMA foreign_keys = ON", now;
    session << "PRAGMA busy_timeout = " + std::to_string(busyTimeout.count()), now;
    registerTextSearch(session);
}

} // namespace

class Database::ConnectionPool : public Poco::Data::SessionPool
{
public:
    ConnectionPool(const std::string& file, int maxConnections, std::chrono::milliseconds busy)
        : Poco::Data::SessionPool("SQLite", file, 1, maxConnections, 60), busyTimeout_(busy)
    {}

protected:
    void customizeSession(Poco::Data::Session& session) override
    {
        configureConnection(session, busyTimeout_);
    }

private:
    std::chrono::milliseconds busyTimeout_;
};

std::span<const Migration> Database::defaultMigrations()
{
    return schemaMigrations();
}

int storedSchemaVersion(const std::filesystem::path& file)
{
    if (!std::filesystem::exists(file))
        return 0;
    registerSqlite();
    try {
        Poco::Data::Session session("SQLite", file.string());
        return schemaVersion(session);
    }
    catch (const Poco::Exception& e) {
        throw DatabaseError("cannot read the schema version of " + file.string() + ": " + e.displayText());
    }
}

Database::Database(Options options, std::span<const Migration> migrations)
    : options_(std::move(options)), expectedVersion_(static_cast<int>(migrations.size()))
{
    registerSqlite();
    const std::string file = options_.file.string();
    const auto parent = options_.file.parent_path();
    if (!parent.empty() && !std::filesystem::is_directory(parent))
        throw DatabaseError("database directory " + parent.string() + " does not exist");

    try {
        Poco::Data::Session session("SQLite", file);
        configureConnection(session, options_.busyTimeout);
        std::string mode;
        session << "PRAGMA journal_mode = WAL", into(mode), now;
        if (mode != "wal")
            throw DatabaseError("database " + file + " cannot use write-ahead logging (journal "
                                "mode stayed '" + mode + "'); put the data directory on a local "
                                "file system");
        applyMigrations(session, migrations);
    }
    catch (const MigrationError&) {
        throw;
    }
    catch (const Poco::Exception& e) {
        throw DatabaseError("cannot open database " + file + ": " + e.displayText());
    }
    pool_ = std::make_unique<ConnectionPool>(file, options_.maxConnections, options_.busyTimeout);
}

Database::~Database() = default;

Poco::Data::Session Database::session()
{
    return pool_->get();
}

Readiness Database::readiness()
{
    Readiness result;
    result.expectedSchemaVersion = expectedVersion_;
    try {
        auto connection = session();
        result.schemaVersion = schemaVersion(connection);
    }
    catch (const Poco::Exception& e) {
        result.problem = "database unavailable: " + e.displayText();
        return result;
    }
    if (result.schemaVersion != expectedVersion_) {
        result.problem = "database schema is at version " + std::to_string(result.schemaVersion) +
                         ", expected " + std::to_string(expectedVersion_);
        return result;
    }
    result.ready = true;
    return result;
}

} // namespace parley::storage
