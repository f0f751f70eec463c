#include <parley/backup/retention.h>

#include <algorithm>
#include <map>
#include <set>

namespace parley::backup {

std::vector<BackupFile> backupsToRemove(const std::vector<BackupFile>& backups,
                                        std::chrono::system_clock::time_point now, RetentionPolicy policy)
{
    using namespace std::chrono;
    const auto hourOf = [](system_clock::time_point time) { return floor<hours>(time.time_since_epoch()).count(); };
    const auto dayOf = [](system_clock::time_point time) { return floor<days>(time.time_since_epoch()).count(); };
    // The newest backup in each hour and each day: bucket -> index.
    std::map<long long, std::size_t> newestInHour;
    std::map<long long, std::size_t> newestInDay;
    std::size_t newest = 0;
    for (std::size_t i = 0; i < backups.size(); ++i) {
        const auto created = backups[i].created;
        for (auto [buckets, bucket] : {std::pair{&newestInHour, hourOf(created)}, std::pair{&newestInDay, dayOf(created)}}) {
            const auto found = buckets->find(bucket);
            if (found == buckets->end() || backups[found->second].created < created)
                (*buckets)[bucket] = i;
        }
        if (backups[i].created > backups[newest].created)
            newest = i;
    }
    std::set<std::size_t> keep;
    if (!backups.empty())
        keep.insert(newest);
    for (const auto& [hour, index] : newestInHour)
        if (hour > hourOf(now) - policy.hourly)
            keep.insert(index);
    for (const auto& [day, index] : newestInDay)
        if (day > dayOf(now) - policy.daily)
            keep.insert(index);
    std::vector<BackupFile> remove;
    for (std::size_t i = 0; i < backups.size(); ++i)
        if (!keep.contains(i) && backups[i].created <= now)
            remove.push_back(backups[i]);
    return remove;
}

} // namespace parley::backup
