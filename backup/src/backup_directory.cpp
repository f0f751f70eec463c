#include <parley/backup/backup_directory.h>

#include <algorithm>
#include <ctime>

namespace parley::backup {
namespace {

constexpr std::string_view kPrefix = "parley-backup-";
constexpr std::string_view kSuffix = ".pbk";

} // namespace

std::string backupFileName(std::chrono::system_clock::time_point created)
{
    const std::time_t seconds = std::chrono::system_clock::to_time_t(created);
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
    return std::string(kPrefix) + text + std::string(kSuffix);
}

std::vector<BackupFile> listBackups(const std::filesystem::path& directory)
{
    std::vector<BackupFile> found;
    for (const auto& entry : std::filesystem::directory_iterator(directory)) {
        const std::string name = entry.path().filename().string();
        if (!entry.is_regular_file() || !name.starts_with(kPrefix) || !name.ends_with(kSuffix) ||
            name.size() != kPrefix.size() + 16 + kSuffix.size())
            continue;
        std::tm utc{};
        const std::string stamp = name.substr(kPrefix.size(), 16);
        const char* end = ::strptime(stamp.c_str(), "%Y%m%dT%H%M%SZ", &utc);
        if (!end || *end != '\0')
            continue;
        found.push_back({entry.path(), std::chrono::system_clock::from_time_t(::timegm(&utc)), entry.file_size()});
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.created < b.created; });
    return found;
}

} // namespace parley::backup
