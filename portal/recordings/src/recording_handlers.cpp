#include "recording_handlers.h"

#include "audit_details.h"
#include "byte_range.h"
#include "http_error.h"
#include "json_fields.h"
#include "json_response.h"
#include "live_room.h"
#include "portal_services.h"
#include "recording_library.h"
#include "recording_service.h"
#include "room_registry.h"
#include "room_service.h"
#include "signaling_session.h"

#include <parley/storage/audit_log.h>
#include <parley/storage/recording_store.h>
#include <parley/storage/user_store.h>
#include <parley/storage/volume_error.h>

#include <Poco/JSON/Array.h>

#include <array>
#include <cerrno>
#include <sys/stat.h>
#include <unistd.h>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

/// What the caller may do with one recording.
struct Rights
{
    bool metadata = false;
    bool play = false;
    bool manage = false;
};

Rights rightsOf(const storage::Recording& recording, const Principal& who, storage::RecordingStore& store)
{
    const auto& user = who.user;
    if (user.role == storage::Role::Admin || (recording.ownerId && *recording.ownerId == user.id))
        return {true, true, true};
    if (store.isSharedWith(recording.id, user.id))
        return {true, true, false};
    if (user.role == storage::Role::Auditor)
        return {true, false, false};
    return {};
}

std::string target(const storage::Recording& recording)
{
    return "recording:" + std::to_string(recording.id);
}

void audit(PortalServices& services, const ApiRequest& request, const std::string& action,
           const storage::Recording& recording, bool allowed, AuditDetails details = {})
{
    if (!allowed)
        details.add("reason", "forbidden");
    services.audit.append(
        {request.actorName(), request.clientAddress, action, target(recording), allowed ? "success" : "failure",
         details.text()});
}

storage::Recording findRecording(storage::RecordingStore& store, const ApiRequest& request)
{
    const auto recording = store.find(request.idParam("id"));
    if (!recording)
        throw HttpError(Status::HTTP_NOT_FOUND, "not_found", "no such recording");
    return *recording;
}

/// The recording and the caller's rights; 403 (audited as `action`) without `needed`.
std::pair<storage::Recording, Rights> authorized(PortalServices& services, const ApiRequest& request,
                                                 bool Rights::*needed, const std::string& action)
{
    storage::RecordingStore store(services.database);
    auto recording = findRecording(store, request);
    const auto rights = rightsOf(recording, *request.principal, store);
    if (!(rights.*needed)) {
        audit(services, request, action, recording, false);
        throw HttpError(Status::HTTP_FORBIDDEN, "forbidden", "you may not do this with this recording");
    }
    return {std::move(recording), rights};
}

std::optional<int> effectiveRetention(const storage::Recording& recording, const RecordingSettings& settings)
{
    const int days = recording.retentionDays.value_or(settings.retentionDays);
    if (days <= 0)
        return std::nullopt;
    return days;
}

Poco::JSON::Object recordingJson(const storage::Recording& recording, const Rights& rights,
                                 PortalServices& services, storage::RecordingStore& store)
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
    const auto retention = effectiveRetention(recording, services.recordingLibrary.settings());
    if (retention && recording.stoppedAt) {
        object.set("retentionDays", *retention);
        object.set("expiresAt", isoTime(*recording.stoppedAt + std::int64_t{*retention} * 86400));
    }
    Poco::JSON::Array tracks;
    for (const auto& track : recording.tracks) {
        Poco::JSON::Object item(Poco::JSON_PRESERVE_KEY_ORDER);
        item.set("file", track.file);
        item.set("label", track.label);
        item.set("codec", track.codec);
        item.set("firstMs", track.firstMs);
        item.set("lastMs", track.lastMs);
        item.set("frames", track.frames);
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

HttpError volumeUnavailable(const std::exception& e)
{
    return HttpError(Status::HTTP_SERVICE_UNAVAILABLE, "recording_unavailable", e.what());
}

} // namespace

void RecordingsHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    storage::RecordingStore store(services().database);
    const auto& user = request.principal->user;
    const bool seesAll = user.role == storage::Role::Admin || user.role == storage::Role::Auditor;
    Poco::JSON::Array list;
    for (const auto& recording : seesAll ? store.all() : store.visibleTo(user.id))
        list.add(recordingJson(recording, rightsOf(recording, *request.principal, store), services(), store));
    Poco::JSON::Object body;
    body.set("recordings", list);
    sendJson(response, Status::HTTP_OK, body);
}

void RecordingHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    if (request.http.getMethod() == "DELETE") {
        const auto [recording, rights] = authorized(services(), request, &Rights::manage, "recording.delete");
        if (recording.state == "recording")
            throw HttpError(Status::HTTP_CONFLICT, "recording_in_progress", "stop the recording before deleting it");
        if (recording.composition == "composing")
            throw HttpError(Status::HTTP_CONFLICT, "recording_composing",
                            "the playable file is being made; delete the recording when that is done");
        try {
            services().recordingLibrary.remove(recording, {request.actorName(), request.clientAddress}, "deleted");
        }
        catch (const storage::VolumeError& e) {
            throw volumeUnavailable(e);
        }
        sendNoContent(response);
        return;
    }
    const auto [recording, rights] = authorized(services(), request, &Rights::metadata, "recording.metadata");
    storage::RecordingStore store(services().database);
    sendJson(response, Status::HTTP_OK, recordingJson(recording, rights, services(), store));
}

void RecordingMediaHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const std::string action = download_ ? "recording.download" : "recording.view";
    const auto [recording, rights] = authorized(services(), request, &Rights::play, action);
    if (recording.composition != "done")
        throw HttpError(Status::HTTP_CONFLICT, "not_ready",
                        "the recording is not composed yet (" + recording.composition + ")");
    std::optional<storage::RecordingDirectory> volume;
    std::optional<storage::FileHandle> file;
    try {
        volume.emplace(services().recordingLibrary.openVolume());
        file.emplace(volume->openFile(recording.file));
    }
    catch (const storage::VolumeError& e) {
        if (e.failure() == storage::VolumeFailure::NotFound)
            throw HttpError(Status::HTTP_NOT_FOUND, "file_missing", "the recording's file is missing from the volume");
        throw volumeUnavailable(e);
    }
    struct stat status{};
    if (::fstat(file->get(), &status) != 0)
        throw std::runtime_error("cannot read the size of recording " + std::to_string(recording.id));
    const auto size = static_cast<std::uint64_t>(status.st_size);
    auto range = ByteRangeRequest{};
    if (request.http.has("Range"))
        range = parseByteRange(request.http.get("Range"), size);
    AuditDetails details;
    details.add("range", range.kind == ByteRangeRequest::Kind::Partial
                             ? std::to_string(range.first) + "-" + std::to_string(range.last)
                             : range.kind == ByteRangeRequest::Kind::Whole ? std::string("whole")
                                                                           : std::string("unsatisfiable"));
    audit(services(), request, action, recording, true, std::move(details));

    response.set("Accept-Ranges", "bytes");
    response.set("Cache-Control", "no-store");
    response.set("ETag", "\"" + recording.sha256 + "\"");
    if (range.kind == ByteRangeRequest::Kind::Unsatisfiable) {
        response.set("Content-Range", "bytes */" + std::to_string(size));
        throw HttpError(Status::HTTP_REQUESTED_RANGE_NOT_SATISFIABLE, "range_not_satisfiable",
                        "the file has " + std::to_string(size) + " bytes");
    }
    std::uint64_t first = 0;
    std::uint64_t last = size == 0 ? 0 : size - 1;
    if (range.kind == ByteRangeRequest::Kind::Partial) {
        first = range.first;
        last = range.last;
        response.setStatus(Status::HTTP_PARTIAL_CONTENT);
        response.set("Content-Range",
                     "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(size));
    }
    else
        response.setStatus(Status::HTTP_OK);
    const std::uint64_t length = size == 0 ? 0 : last - first + 1;
    response.setContentType("video/webm");
    response.set("Content-Disposition", std::string(download_ ? "attachment" : "inline") + "; filename=\"recording-" +
                                            std::to_string(recording.id) + ".webm\"");
    response.setContentLength64(static_cast<Poco::Int64>(length));
    if (request.http.getMethod() == "HEAD") {
        response.send();
        return;
    }
    auto& out = response.send();
    std::array<char, 256 * 1024> buffer{};
    auto offset = static_cast<off_t>(first);
    std::uint64_t left = length;
    while (left > 0 && out.good()) {
        const ssize_t got = ::pread(file->get(), buffer.data(), std::min<std::uint64_t>(left, buffer.size()), offset);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break; // the headers are gone; the short body tells the client
        out.write(buffer.data(), got);
        offset += got;
        left -= static_cast<std::uint64_t>(got);
    }
}

void RecordingSharesHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto [recording, rights] = authorized(services(), request, &Rights::manage, "recording.share");
    const auto username = requireString(*request.jsonBody(), "username", 256);
    const auto user = storage::UserStore(services().database).findByUsername(username);
    if (!user)
        throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_request", "no user named '" + username.substr(0, 64) + "'");
    storage::RecordingStore store(services().database);
    const bool added = store.share(recording.id, user->id, request.actorName(), unixNow());
    audit(services(), request, "recording.share", recording, true,
          AuditDetails().add("user", user->username).add("new", added));
    const auto updated = store.find(recording.id);
    if (!updated)
        throw HttpError(Status::HTTP_NOT_FOUND, "not_found", "no such recording"); // deleted meanwhile
    sendJson(response, added ? Status::HTTP_CREATED : Status::HTTP_OK, recordingJson(*updated, rights, services(), store));
}

void RecordingShareHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto [recording, rights] = authorized(services(), request, &Rights::manage, "recording.unshare");
    const auto userId = request.idParam("user");
    storage::RecordingStore store(services().database);
    if (!store.unshare(recording.id, userId))
        throw HttpError(Status::HTTP_NOT_FOUND, "not_found", "the recording is not shared with this user");
    audit(services(), request, "recording.unshare", recording, true, AuditDetails().add("userId", userId));
    sendNoContent(response);
}

void RecordingVerifyHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    storage::RecordingStore store(services().database);
    const auto recording = findRecording(store, request);
    const auto rights = rightsOf(recording, *request.principal, store);
    const bool allowed = rights.manage || request.principal->user.role == storage::Role::Auditor;
    if (!allowed) {
        audit(services(), request, "recording.verify", recording, false);
        throw HttpError(Status::HTTP_FORBIDDEN, "forbidden", "you may not do this with this recording");
    }
    if (recording.composition != "done")
        throw HttpError(Status::HTTP_CONFLICT, "not_ready",
                        "the recording is not composed yet (" + recording.composition + ")");
    std::string result;
    try {
        result = services().recordingLibrary.verify(recording, {request.actorName(), request.clientAddress});
    }
    catch (const storage::VolumeError& e) {
        throw volumeUnavailable(e);
    }
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("result", result);
    body.set("sha256", recording.sha256);
    sendJson(response, Status::HTTP_OK, body);
}

void RoomRecordingHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto action = requireString(*request.jsonBody(), "action", 16);
    if (action != "start" && action != "stop")
        throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_request", "'action' must be \"start\" or \"stop\"");
    const auto room = services().rooms.manageable(request.idParam("id"), *request.principal);
    auto* recordings = services().signaling.recordings;
    const std::string auditAction = "recording." + action;
    const auto refuse = [&](Status status, const std::string& code, const std::string& message) {
        services().audit.append({request.actorName(), request.clientAddress, auditAction,
                                 "room:" + std::to_string(room.id), "failure",
                                 AuditDetails().add("reason", code).add("message", message).add("via", "api").text()});
        throw HttpError(status, code, message);
    };
    const auto live = services().registry.find(room.id);
    if (!live)
        refuse(Status::HTTP_CONFLICT, "meeting_not_running", "nobody is in this meeting; recording starts in one");
    if (!recordings)
        refuse(Status::HTTP_SERVICE_UNAVAILABLE, "recording_unavailable", "recording is not available on this server");
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    AuditDetails details;
    details.add("via", "api");
    if (action == "start") {
        try {
            const auto started = recordings->start(room.id, room.title, room.ownerId, request.actorName(),
                                                   room.recordingRetentionDays);
            live->announceRecording(started.startedAt, request.actorName());
            details.add("recording", started.id);
            body.set("recordingId", started.id);
            body.set("startedAt", isoTime(started.startedAt));
        }
        catch (const RecordingError& e) {
            refuse(e.code() == "already_recording" ? Status::HTTP_CONFLICT : Status::HTTP_SERVICE_UNAVAILABLE,
                   e.code(), e.what());
        }
    }
    else if (!recordings->stop(room.id, ""))
        refuse(Status::HTTP_CONFLICT, "not_recording", "this meeting is not being recorded");
    else
        live->announceRecording(std::nullopt, request.actorName());
    services().audit.append({request.actorName(), request.clientAddress, auditAction, "room:" + std::to_string(room.id),
                             "success", details.text()});
    body.set("recording", action == "start");
    sendJson(response, Status::HTTP_OK, body);
}

} // namespace parley::portal
