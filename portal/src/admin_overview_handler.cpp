#include "admin_overview_handler.h"

#include <parley/portal/accounts/directory_health.h>
#include <parley/portal/http/json_response.h>
#include <parley/portal/http/live_certificate.h>
#include <parley/portal/http/tls_certificate_handler.h>
#include <parley/portal/http/unix_time.h>
#include <parley/portal/meetings/room_registry.h>
#include <parley/portal/recordings/volume_handlers.h>

#include <parley/router/media_router.h>
#include <parley/storage/recording_store.h>

namespace parley::portal {

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
