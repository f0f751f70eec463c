#include <parley/storage/migrator.h>
#include <parley/storage/transaction.h>

#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Data/Session.h>
#include <Poco/Exception.h>

#include <string>
#include <vector>

using namespace Poco::Data::Keywords;

namespace parley::storage {
namespace {

void execute(Poco::Data::Session& session, const std::string& sql)
{
    session << sql, now;
}

void requireContiguous(std::span<const Migration> migrations)
{
    for (std::size_t i = 0; i < migrations.size(); ++i) {
        if (migrations[i].version != static_cast<int>(i) + 1)
            throw std::invalid_argument("schema migrations must be numbered 1, 2, 3, ... without "
                                        "gaps; found version " +
                                        std::to_string(migrations[i].version) + " at position " +
                                        std::to_string(i + 1));
    }
}

void requireSameHistory(Poco::Data::Session& session, std::span<const Migration> migrations)
{
    std::vector<int> versions;
    std::vector<std::string> names;
    session << "SELECT version, name FROM schema_migrations ORDER BY version", into(versions),
        into(names), now;
    for (std::size_t i = 0; i < versions.size(); ++i) {
        const int version = versions[i];
        if (version < 1 || version > static_cast<int>(migrations.size()))
            continue; // a newer database; reported by the caller
        const auto& expected = migrations[static_cast<std::size_t>(version) - 1].name;
        if (names[i] != expected)
            throw MigrationError("database schema migration " + std::to_string(version) +
                                 " is recorded as '" + names[i] + "' but this build calls it '" +
                                 expected + "'; the database was made by a different build. "
                                 "Restore a backup made by this version.");
    }
}

void applyOne(Poco::Data::Session& session, const Migration& migration)
{
    for (std::size_t i = 0; i < migration.statements.size(); ++i) {
        try {
            execute(session, migration.statements[i]);
        }
        catch (const Poco::Exception& e) {
            throw MigrationError("schema migration " + std::to_string(migration.version) + " '" +
                                 migration.name + "' failed at statement " +
                                 std::to_string(i + 1) + ": " + e.displayText());
        }
    }
    int version = migration.version;
    std::string name = migration.name;
    session << "INSERT INTO schema_migrations (version, name, applied_at) "
               "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
        use(version), use(name), now;
}

} // namespace

int schemaVersion(Poco::Data::Session& session)
{
    int tables = 0;
    session << "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = "
               "'schema_migrations'",
        into(tables), now;
    if (tables == 0)
        return 0;
    int version = 0;
    session << "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", into(version), now;
    return version;
}

int applyMigrations(Poco::Data::Session& session, std::span<const Migration> migrations)
{
    requireContiguous(migrations);
    const int latest = static_cast<int>(migrations.size());

    // IMMEDIATE: two processes starting together cannot both decide a migration is pending.
    Transaction transaction(session);
    int startVersion = 0;
    int applied = 0;
    try {
        execute(session, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                         "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                         "applied_at TEXT NOT NULL)");
        startVersion = schemaVersion(session);
        if (startVersion > latest)
            throw MigrationError("database schema version " + std::to_string(startVersion) +
                                 " is newer than this build of Parley understands (" +
                                 std::to_string(latest) +
                                 "); run the newer Parley release or restore a backup");
        requireSameHistory(session, migrations);
        for (const auto& migration : migrations) {
            if (migration.version <= startVersion)
                continue;
            applyOne(session, migration);
            ++applied;
        }
        transaction.commit();
    }
    catch (const MigrationError& e) {
        const auto note = transaction.rollback();
        throw MigrationError(std::string(e.what()) + ". The database was left unchanged at schema "
                             "version " + std::to_string(startVersion) + "." +
                             (note.empty() ? "" : " (ROLLBACK reported: " + note + ")"));
    }
    catch (const Poco::Exception& e) {
        const auto note = transaction.rollback();
        throw MigrationError("schema migration could not be recorded: " + e.displayText() +
                             ". The database was left unchanged at schema version " +
                             std::to_string(startVersion) + "." +
                             (note.empty() ? "" : " (ROLLBACK reported: " + note + ")"));
    }
    return applied;
}

} // namespace parley::storage
