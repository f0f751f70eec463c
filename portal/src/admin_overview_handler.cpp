#include "admin_overview_handler.h"

#include <parley/portal/accounts/directory_health.h>
#include <parley/portal/http/json_response.h>
#include <parley/portal/http/live_certificate.h>
#include <parley/portal/http/tls_certificate_handler.h>
#include <parley/portal/http/unix_time.h>
#include <parley/portal/meetings/room_registry.h>
#include <parley/portal/recordings/volume_handlers.h>

#include <parley/backup/backup_status.h>
#include <parley/router/media_router.h>
#include <parley/storage/recording_store.h>

namespace parley::portal {

Poco::JSON::Object backupOverview(const std::filesystem::path& statusFile, std::int64_t now)
{
    Poco::JSON::Object backup(Poco::JSON_PRESERVE_KEY_ORDER);
    std::optional<backup::BackupStatus> status;
    try {
        status = backup::readBackupStatus(statusFile);
    }
    catch (const std::runtime_error& e) {
        backup.set("state", "unreadable");
        backup.set("message", e.what());
        return backup;
    }
    if (!status) {
        backup.set("state", "none");
        return backup;
    }
    const auto time = [](const std::optional<std::int64_t>& at) {
        return at ? Poco::Dynamic::Var(isoTime(*at)) : Poco::Dynamic::Var();
    };
    const bool recent = status->lastSuccessTime && now - *status->lastSuccessTime <= kBackupDueWithin.count();
    backup.set("state", status->consecutiveFailures > 0 ? "failing" : recent ? "ok" : "stale");
    backup.set("lastSuccessAt", time(status->lastSuccessTime));
    backup.set("lastSuccessBytes", status->lastSuccessBytes);
    backup.set("lastAttemptAt", time(status->lastAttemptTime));
    backup.set("consecutiveFailures", status->consecutiveFailures);
    backup.set("lastError", status->lastError);
    return backup;
}

LiveCounts countLive(const RoomRegistry& registry)
{
    LiveCounts counts;
    for (const auto& room : registry.all()) {
        const auto in = room->presentCount();
        const auto lobby = room->waitingCount();
        counts.meetings += in + lobby > 0;
        counts.participants += in;
        counts.waiting += lobby;
    }
    return counts;
}

void AdminOverviewHandler::handle(const ApiRequest&, Poco::Net::HTTPServerResponse& response)
{
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("version", PARLEY_VERSION);
    body.set("startedAt", isoTime(sources_.startedAt));
    body.set("uptimeSeconds", unixNow() - sources_.startedAt);

    const auto live = countLive(sources_.registry);
    body.set("liveMeetings", live.meetings);
    body.set("participants", live.participants);
    body.set("waiting", live.waiting);

    Poco::JSON::Object media(Poco::JSON_PRESERVE_KEY_ORDER);
    media.set("available", sources_.media != nullptr);
    if (sources_.media) {
        const auto load = sources_.media->load();
        media.set("bitsPerSecondIn", load.bitsPerSecondIn);
        media.set("bitsPerSecondOut", load.bitsPerSecondOut);
        media.set("packetLossPercent", load.lossPercent);
        media.set("routerCpuPercent", load.cpuPercent);
    }
    body.set("media", media);

    const auto tally = storage::RecordingStore(sources_.database).tally();
    Poco::JSON::Object recordings(Poco::JSON_PRESERVE_KEY_ORDER);
    recordings.set("running", tally.recording);
    recordings.set("composing", tally.composing);
    recordings.set("queued", tally.queued);
    recordings.set("failed", tally.failed);
    body.set("recordings", recordings);

    body.set("volume", volumeStatusJson(sources_.volumeMountPoint, sources_.volumeContainer));

    body.set("tls", tlsStatusJson(sources_.certificate.current(), context().publicUrl,
                                  std::chrono::system_clock::now()));

    if (!sources_.backupStatusFile.empty())
        body.set("backup", backupOverview(sources_.backupStatusFile, unixNow()));

    const auto directory = sources_.directory.status();
    Poco::JSON::Object ldap(Poco::JSON_PRESERVE_KEY_ORDER);
    ldap.set("enabled", directory.enabled);
    if (directory.enabled && directory.reachable)
        ldap.set("reachable", *directory.reachable);
    else
        ldap.set("reachable", Poco::Dynamic::Var());
    ldap.set("message", directory.message);
    if (directory.checkedAt)
        ldap.set("checkedAt", isoTime(directory.checkedAt));
    else
        ldap.set("checkedAt", Poco::Dynamic::Var());
    body.set("directory", ldap);

    sendJson(response, Poco::Net::HTTPResponse::HTTP_OK, body);
}

} // namespace parley::portal
