#pragma once

#include <parley/portal/http/api_handler.h>

#include <Poco/JSON/Object.h>

#include <chrono>
#include <cstdint>
#include <filesystem>

namespace parley::router {
class MediaRouter;
}
namespace parley::storage {
class Database;
}

namespace parley::portal {

class DirectoryHealth;
class LiveCertificate;
class RoomRegistry;

/// What the overview reads; all owned by the server and living as long as it.
struct OverviewSources
{
    storage::Database& database;
    RoomRegistry& registry;
    router::MediaRouter* media; ///< nullptr with router.enabled=false
    DirectoryHealth& directory;
    LiveCertificate& certificate;
    std::filesystem::path volumeMountPoint;
    std::filesystem::path volumeContainer;
    std::filesystem::path backupStatusFile; ///< empty: backups are not shown
    std::int64_t startedAt = 0; ///< Unix seconds
};

/// The backups are overdue when the last good one is older than this: the schedule is hourly,
/// so two missed runs (docs/operations.md; the ParleyBackupMissing alert uses the same age).
inline constexpr std::chrono::seconds kBackupDueWithin{2 * 3600};

/// The backups as the overview shows them: `state` none (never tried), ok, stale (no good
/// backup within kBackupDueWithin), failing (the last attempt failed) or unreadable (with a
/// `message`), and the last success, attempt, run of failures and error.
Poco::JSON::Object backupOverview(const std::filesystem::path& statusFile, std::int64_t now);

/// Meetings and people in them now, as the overview and `/metrics` both report them.
struct LiveCounts
{
    std::size_t meetings = 0;     ///< rooms with anyone present or waiting
    std::size_t participants = 0; ///< present in a meeting
    std::size_t waiting = 0;      ///< in a lobby
};
LiveCounts countLive(const RoomRegistry& registry);

/// `GET /api/v1/admin/overview` (admins): the server at a glance (docs/api.md): meetings and
/// people now, media rates, loss and router CPU over the last second, recordings by state,
/// the volume, the TLS certificate, the backups, the directory, version and uptime. Cheap enough to poll every few seconds:
/// nothing here waits for the network or the media worker.
class AdminOverviewHandler : public ApiHandler
{
public:
    AdminOverviewHandler(const HandlerContext& context, OverviewSources& sources)
        : ApiHandler(context), sources_(sources)
    {}

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
    OverviewSources& sources_;
};

} // namespace parley::portal
