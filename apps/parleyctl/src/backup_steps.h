#pragma once

#include <parley/backup/backup_key.h>
#include <parley/parleyd/settings.h>

#include <filesystem>
#include <optional>

namespace parley::parleyctl {

/// Exit status of a backup that could not be made (the message is on standard error, which
/// the journal keeps when parley-backup.service runs it).
inline constexpr int kExitBackupFailed = 1;

/// Makes a backup of the server described by `settings` into `directory`, encrypted under
/// the key in `keyFile` (read here, so a bad key file is a failed backup like any other), then, when
/// `prune` is set, deletes the backups there that the retention policy no longer keeps.
/// Records the attempt in `<data_dir>/backup-status.json` (see docs/operations.md: the
/// hook for monitoring). Returns the exit status, printing what it did or why it failed.
int createBackup(const parleyd::Settings& settings, const std::optional<std::filesystem::path>& configFile,
                 const std::filesystem::path& keyFile, const std::filesystem::path& directory, bool prune);

/// Restores `archive` into the fresh data directory `dataDir`; refuses (changing nothing)
/// while a parleyd runs there or when it already holds a database or any file the archive
/// would write. Returns the exit status.
int restoreBackup(const std::filesystem::path& archive, const backup::BackupKey& key,
                  const std::filesystem::path& dataDir);

} // namespace parley::parleyctl
