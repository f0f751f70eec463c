#pragma once

#include <parley/storage/migration.h>

#include <Poco/Data/Session.h>

#include <span>
#include <stdexcept>

namespace parley::storage {

/// Thrown when the schema cannot be brought to the version this build expects.
/// The message names the migration (or the version mismatch) and says what to do.
class MigrationError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// Returns the highest migration version recorded in the database, 0 for a new database.
int schemaVersion(Poco::Data::Session& session);

/// Applies every migration above the database's current version, in order, inside one
/// transaction, recording each in the `schema_migrations` table.
///
/// Returns how many migrations were applied (0 when the database is up to date, so calling
/// it again is harmless). If any statement fails, the whole transaction is rolled back: the
/// database is left exactly as it was and MigrationError names the failing migration and
/// SQLite's reason. Also throws MigrationError when the database was migrated by a newer
/// build (its version is above the last migration given), or when a recorded migration's
/// name differs from this build's migration of the same version.
///
/// `migrations` must be numbered 1, 2, 3, ... without gaps (std::invalid_argument otherwise).
int applyMigrations(Poco::Data::Session& session, std::span<const Migration> migrations);

} // namespace parley::storage
