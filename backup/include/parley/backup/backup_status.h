#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace parley::backup {

/// The outcome of the last backup attempts, kept in `<data_dir>/backup-status.json` by
/// `parleyctl backup create` and read by the server for `/metrics` and the admin overview
/// (docs/operations.md lists the fields). Times are Unix seconds.
struct BackupStatus
{
    std::optional<std::int64_t> lastAttemptTime;
    std::optional<std::int64_t> lastSuccessTime;
    std::optional<std::int64_t> lastFailureTime;
    std::uint64_t lastSuccessBytes = 0;
    std::string lastSuccessFile;
    std::string lastError;              ///< empty after a success
    std::int64_t consecutiveFailures = 0; ///< since the last success
    std::int64_t successesTotal = 0;
    std::int64_t failuresTotal = 0;
};

/// The status file's name in a data directory.
std::filesystem::path backupStatusFile(const std::filesystem::path& dataDir);

/// Reads a status file. Returns nothing when there is none (no backup has been tried).
/// Throws std::runtime_error naming the file when it cannot be read, is not a regular file
/// (a symbolic link included: it is never followed) or is not a status (not JSON, not an
/// object, a field of the wrong type or a negative count).
std::optional<BackupStatus> readBackupStatus(const std::filesystem::path& file);

/// Adds one attempt at `unixTime` to `previous` (an empty status when there is none):
/// a success sets the last success, clears the error and the run of failures; a failure
/// keeps the last success and counts one more failure.
BackupStatus withAttempt(BackupStatus previous, std::int64_t unixTime, bool success, const std::string& error,
                         const std::filesystem::path& archive, std::uint64_t archiveBytes);

/// Who a written status file belongs to.
struct FileOwner
{
    unsigned uid;
    unsigned gid;
};

/// Writes `status` to `file` atomically: a new file of a random name made beside it
/// (never an existing file or link), given to `owner` when one is named and synced, then
/// renamed over the old one, so a reader never sees half a status. Safe for root in a
/// directory another account may write (the data directory). Throws std::runtime_error
/// when it cannot.
void writeBackupStatus(const std::filesystem::path& file, const BackupStatus& status,
                       std::optional<FileOwner> owner = std::nullopt);

} // namespace parley::backup
