#include "recording_json.h"

#include <parley/portal/http/json_response.h>
#include <parley/portal/recordings/recording_library.h>

#include <parley/storage/user_store.h>

#include <Poco/JSON/Array.h>

namespace parley::portal {
namespace {

std::optional<int> effectiveRetention(const storage::Recording& recording, int serverDays)
{
    const int days = recording.retentionDays.value_or(serverDays);
    if (days <= 0)
        return std::nullopt;
    return days;
}

} // namespace

Poco::JSON::Object recordingJson(const storage::Recording& recording, const RecordingRights& rights,
                                 RecordingHandlerServices& services, storage::RecordingStore& store)
{
    Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    object.set("id", recording.id);
    object.set("roomId", recording.roomId);
    object.set("roomTitle", recording.roomTitle);
    if (recording.ownerId) {
        const auto owner = storage::UserStore(services.database).findById(*recording.ownerId);
        object.set("owner", owner ? owner->username : std::string());
    }
    object.set("startedBy", recording.startedBy);
    object.set("startedAt", isoTime(recording.startedAt));
    if (recording.stoppedAt)
        object.set("stoppedAt", isoTime(*recording.stoppedAt));
    object.set("state", recording.state);
    if (!recording.error.empty())
        object.set("error", recording.error);
    Poco::JSON::Object composition(Poco::JSON_PRESERVE_KEY_ORDER);
    composition.set("state", recording.composition);
    composition.set("progress", recording.composeProgress);
    composition.set("attempts", recording.composeAttempts);
    if (!recording.composeError.empty())
        composition.set("error", recording.composeError);
    if (recording.composeSeconds)
        composition.set("seconds", *recording.composeSeconds);
    object.set("composition", composition);
    if (recording.durationMs)
        object.set("durationMs", *recording.durationMs);
    if (recording.sizeBytes)
        object.set("sizeBytes", *recording.sizeBytes);
    if (!recording.sha256.empty())
        object.set("sha256", recording.sha256);
    Poco::JSON::Object integrity(Poco::JSON_PRESERVE_KEY_ORDER);
    integrity.set("result", recording.integrity.empty() ? std::string("unchecked") : recording.integrity);
    if (recording.verifiedAt)
        integrity.set("checkedAt", isoTime(*recording.verifiedAt));
    object.set("integrity", integrity);
    const auto retention = effectiveRetention(recording, services.recordingLibrary.retentionDays());
    if (retention && recording.stoppedAt) {
        object.set("retentionDays", *retention);
        object.set("expiresAt", isoTime(*recording.stoppedAt + std::int64_t{*retention} * 86400));
    }
    Poco::JSON::Array tracks;
    for (std::size_t index = 0; index < recording.tracks.size(); ++index) {
        const auto& track = recording.tracks[index];
        Poco::JSON::Object item(Poco::JSON_PRESERVE_KEY_ORDER);
        item.set("file", track.file);
        item.set("label", track.label);
        item.set("codec", track.codec);
        item.set("participant", track.trackId.substr(0, track.trackId.find('/')));
        item.set("displayName", track.displayName);
        item.set("firstMs", track.firstMs);
        item.set("lastMs", track.lastMs);
        item.set("frames", track.frames);
        if (!track.sha256.empty())
            item.set("sha256", track.sha256);
        // Each track plays on its own as soon as the recording stopped (the page plays
        // them side by side until the composed file is there).
        if (rights.play && recording.state != "recording")
            item.set("mediaUrl",
                     "/api/v1/recordings/" + std::to_string(recording.id) + "/tracks/" + std::to_string(index + 1) + "/media");
        tracks.add(item);
    }
    object.set("tracks", tracks);
    if (rights.manage) {
        Poco::JSON::Array shares;
        for (const auto& share : store.shares(recording.id)) {
            Poco::JSON::Object item(Poco::JSON_PRESERVE_KEY_ORDER);
            item.set("userId", share.userId);
            item.set("username", share.username);
            item.set("grantedBy", share.grantedBy);
            item.set("grantedAt", isoTime(share.grantedAt));
            shares.add(item);
        }
        object.set("shares", shares);
    }
    Poco::JSON::Object allowed(Poco::JSON_PRESERVE_KEY_ORDER);
    allowed.set("play", rights.play);
    allowed.set("manage", rights.manage);
    object.set("rights", allowed);
    if (rights.play && recording.composition == "done") {
        object.set("mediaUrl", "/api/v1/recordings/" + std::to_string(recording.id) + "/media");
        object.set("downloadUrl", "/api/v1/recordings/" + std::to_string(recording.id) + "/download");
    }
    return object;
}

} // namespace parley::portal
