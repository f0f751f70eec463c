#pragma once

#include <parley/backup/backup_directory.h>

#include <chrono>
#include <vector>

namespace parley::backup {

/// How many backups a backup directory keeps.
struct RetentionPolicy
{
    int hourly = 24; ///< the newest backup of each of this many most recent hours (UTC)
    int daily = 21;  ///< the newest backup of each of this many most recent days (UTC)
};

/// The backups to delete at time `now` (the caller's clock, so tests can use a fake one):
/// all but the newest backup of each of the last `policy.hourly` clock hours up to and
/// including now's, and the newest of each of the last `policy.daily` days up to and
/// including today (a backup can count for both). A backup dated after `now` is kept (a
/// clock set back must not delete fresh backups), and so is the newest backup of all,
/// whatever its age.
std::vector<BackupFile> backupsToRemove(const std::vector<BackupFile>& backups,
                                        std::chrono::system_clock::time_point now, RetentionPolicy policy);

} // namespace parley::backup
