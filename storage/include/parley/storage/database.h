#pragma once

#include <parley/storage/migration.h>

#include <Poco/Data/Session.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

namespace parley::storage {

/// Thrown when the database cannot be opened or prepared; the message names the file.
class DatabaseError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// The outcome of a readiness probe, for `/readyz`.
struct Readiness
{
    bool ready = false;
    int schemaVersion = 0;
    int expectedSchemaVersion = 0;
    std::string problem; ///< empty when ready
};

/// The schema version of the database in `file`, read without migrating or otherwise
/// changing it (the package's pre-installation check uses it to refuse a downgrade); 0 when
/// there is no such file. Throws DatabaseError when the file is not a readable database.
int storedSchemaVersion(const std::filesystem::path& file);

/// The embedded SQLite database (Poco::Data) under the data directory.
///
/// Opening it sets WAL mode, applies pending schema migrations (see applyMigrations) and
/// keeps a pool of connections, each with foreign keys on and a busy timeout, so request
/// threads can use it concurrently. Use prepared statements (Poco's `use()` bindings) only.
class Database
{
public:
    struct Options
    {
        std::filesystem::path file;
        std::chrono::milliseconds busyTimeout{5000};
        int maxConnections = 16;
    };

    /// Opens (creating if absent) and migrates the database.
    /// Throws DatabaseError if the file cannot be opened, is not a SQLite database, or does
    /// not support WAL; throws MigrationError if the schema cannot be brought up to date (the
    /// file is then left as it was).
    explicit Database(Options options,
                      std::span<const Migration> migrations = defaultMigrations());
    ~Database();

    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    /// A connection from the pool; it returns to the pool when the Session is destroyed.
    /// Throws Poco::Data::SessionPoolExhaustedException when all connections are in use.
    Poco::Data::Session session();

    /// Checks that a connection answers and that the schema is at the expected version.
    /// Never throws; problems are reported in Readiness::problem.
    Readiness readiness();

    const std::filesystem::path& file() const { return options_.file; }

private:
    static std::span<const Migration> defaultMigrations();

    class ConnectionPool;
    Options options_;
    int expectedVersion_;
    std::unique_ptr<ConnectionPool> pool_;
};

} // namespace parley::storage
