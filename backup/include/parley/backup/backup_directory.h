#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace parley::backup {

/// A backup in a backup directory, named parley-backup-YYYYMMDDTHHMMSSZ.pbk after the UTC
/// time it was made.
struct BackupFile
{
    std::filesystem::path path;
    std::chrono::system_clock::time_point created;
    std::uint64_t size = 0;
};

/// The file name for a backup made at `created`.
std::string backupFileName(std::chrono::system_clock::time_point created);

/// The backups in `directory`, oldest first; files not named like a backup are left out.
/// Throws std::filesystem::filesystem_error when the directory cannot be read.
std::vector<BackupFile> listBackups(const std::filesystem::path& directory);

} // namespace parley::backup
