#pragma once

#include <chrono>
#include <filesystem>

namespace parley::storage {

/// Copies the SQLite database in `source` to a new file `target` with SQLite's online backup
/// (sqlite3_backup_*), while other processes (a running parleyd) keep reading and writing it.
/// The copy is one consistent state of the database: the whole copy runs inside a single
/// read transaction, which in WAL mode does not hold writers up. `target` must not exist; it
/// is created with mode 0600 and is a complete database in rollback-journal mode (DELETE), so
/// it is one self-contained file. Waits up to `busyTimeout` for a lock.
/// Throws DatabaseError naming the file when the source cannot be opened or is not a
/// database, the target exists or cannot be written, or the copy fails; a partial target is
/// removed.
void snapshotDatabase(const std::filesystem::path& source, const std::filesystem::path& target,
                      std::chrono::milliseconds busyTimeout);

} // namespace parley::storage
