// Retention of a backup directory, with a fake clock: a backup every hour for 30 days.
#include <parley/backup/retention.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

using namespace parley::backup;
using namespace std::chrono;

namespace {

/// Runs the schedule as the timer would: at each hour a backup (a few minutes past, as
/// RandomizedDelaySec spreads them), then the retention at that moment.
std::vector<BackupFile> hourlyFor(system_clock::time_point start, hours span, RetentionPolicy policy,
                                  system_clock::time_point& now)
{
    std::vector<BackupFile> kept;
    for (auto hour = 0h; hour < span; ++hour) {
        now = start + hour + minutes(hour.count() % 5);
        kept.push_back({"parley-backup-" + std::to_string(hour.count()) + ".pbk", now, 1000});
        const auto remove = backupsToRemove(kept, now, policy);
        std::erase_if(kept, [&](const BackupFile& file) {
            return std::any_of(remove.begin(), remove.end(), [&](const BackupFile& gone) { return gone.path == file.path; });
        });
    }
    return kept;
}

} // namespace

TEST_CASE("Hourly backups over 30 days keep the last 24 hours and one a day for 21 days, nothing else")
{
    const auto start = system_clock::from_time_t(1796083200); // 2026-12-01T00:00:00Z
    system_clock::time_point now;
    const auto kept = hourlyFor(start, hours(30 * 24), {24, 21}, now);

    std::set<long long> keptHours;
    std::set<long long> keptDays;
    for (const auto& file : kept) {
        keptHours.insert(floor<hours>(file.created.time_since_epoch()).count());
        keptDays.insert(floor<days>(file.created.time_since_epoch()).count());
    }
    const auto nowHour = floor<hours>(now.time_since_epoch()).count();
    const auto today = floor<days>(now.time_since_epoch()).count();
    // Each of the last 24 hours has its backup.
    for (long long hour = nowHour - 23; hour <= nowHour; ++hour)
        CHECK(keptHours.contains(hour));
    // Each of the last 21 days has one, and none is older.
    for (long long day = today - 20; day <= today; ++day)
        CHECK(keptDays.contains(day));
    CHECK(*keptDays.begin() == today - 20);
    // The day's kept backup is its newest: the 23:00 one, for the days that are over.
    for (const auto& file : kept)
        if (floor<days>(file.created.time_since_epoch()).count() < today - 1)
            CHECK(floor<hours>(file.created.time_since_epoch()).count() % 24 == 23);
    // The hourly and daily sets overlap on today's newest: 24 + 21 - 1.
    CHECK(kept.size() == 24 + 21 - 1);
}

TEST_CASE("Retention keeps the newest backup whatever its age, and backups dated after now")
{
    const auto now = system_clock::from_time_t(1796083200);
    const std::vector<BackupFile> backups{
        {"old-1", now - days(400), 1},
        {"old-2", now - days(300), 1},
        {"future", now + hours(5), 1},
    };
    const auto remove = backupsToRemove(backups, now, {24, 21});
    REQUIRE(remove.size() == 2); // old-2 is the newest of those not in the future, but "future" is newer
    const auto onlyOld = backupsToRemove({backups[0], backups[1]}, now, {24, 21});
    REQUIRE(onlyOld.size() == 1);
    CHECK(onlyOld[0].path == "old-1");
    CHECK(backupsToRemove({}, now, {24, 21}).empty());
}

TEST_CASE("Several backups in one hour: only the hour's newest stays once the hour is past the daily one")
{
    const auto now = system_clock::from_time_t(1796083200) + hours(12); // noon
    std::vector<BackupFile> backups;
    for (int i = 0; i < 6; ++i)
        backups.push_back({"b" + std::to_string(i), now - hours(2) + minutes(10 * i), 1});
    const auto remove = backupsToRemove(backups, now, {24, 21});
    CHECK(remove.size() == 5);
    CHECK(std::none_of(remove.begin(), remove.end(), [](const BackupFile& file) { return file.path == "b5"; }));
}
