#include <parley/portal/recordings/recording_handlers.h>

#include "recording_access.h"
#include "recording_json.h"
#include <parley/portal/http/byte_range.h>
#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_fields.h>
#include <parley/portal/http/json_response.h>
#include <parley/portal/http/unix_time.h>
#include <parley/portal/recordings/recording_library.h>
#include <parley/portal/recordings/recording_viewings.h>
#include <parley/storage/audit_details.h>

#include <parley/storage/audit_log.h>
#include <parley/storage/recording_store.h>
#include <parley/storage/user_store.h>
#include <parley/volume/volume_error.h>

#include <Poco/JSON/Array.h>

#include <array>
#include <cerrno>
#include <sys/stat.h>
#include <unistd.h>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

HttpError volumeUnavailable(const std::exception& e)
{
    return HttpError(Status::HTTP_SERVICE_UNAVAILABLE, "recording_unavailable", e.what());
}

} // namespace

void RecordingsHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    storage::RecordingStore store(services().database);
    const auto& user = request.principal->user;
    const bool seesAll = request.principal->isAdmin() || request.principal->isAuditor();
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
        const auto [recording, rights] = authorizedRecording(services(), request, &RecordingRights::manage, "recording.delete");
        if (recording.state == "recording")
            throw HttpError(Status::HTTP_CONFLICT, "recording_in_progress", "stop the recording before deleting it");
        if (recording.composition == "composing")
            throw HttpError(Status::HTTP_CONFLICT, "recording_composing",
                            "the playable file is being made; delete the recording when that is done");
        try {
            services().recordingLibrary.remove(recording, {request.actorName(), request.clientAddress}, "deleted");
        }
        catch (const volume::VolumeError& e) {
            throw volumeUnavailable(e);
        }
        sendNoContent(response);
        return;
    }
    const auto [recording, rights] = authorizedRecording(services(), request, &RecordingRights::metadata, "recording.metadata");
    storage::RecordingStore store(services().database);
    sendJson(response, Status::HTTP_OK, recordingJson(recording, rights, services(), store));
}

void RecordingMediaHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const std::string action = download_ ? "recording.download" : "recording.view";
    const auto [recording, rights] = authorizedRecording(services(), request, &RecordingRights::play, action);
    // What is served: the composed file, or (to play the tracks side by side while it is
    // being made) one track file.
    std::string path;
    std::string name;
    std::string contentType = "video/webm";
    std::string etag;
    if (track_) {
        // Numbered from 1, in the order the recording lists them.
        const auto number = request.idParam("track");
        if (recording.state == "recording")
            throw HttpError(Status::HTTP_CONFLICT, "not_ready", "the recording is still running");
        if (static_cast<std::size_t>(number) > recording.tracks.size())
            throw HttpError(Status::HTTP_NOT_FOUND, "not_found", "the recording has no such track file");
        const auto& track = recording.tracks[static_cast<std::size_t>(number) - 1];
        path = recording.directory + "/" + track.file;
        name = track.file;
        contentType = track.file.ends_with(".mkv") ? "video/x-matroska"
                      : track.label == "audio"     ? "audio/webm"
                                                   : "video/webm";
        etag = track.sha256;
    }
    else {
        if (recording.composition != "done")
            throw HttpError(Status::HTTP_CONFLICT, "not_ready",
                            "the recording is not composed yet (" + recording.composition + ")");
        path = recording.file;
        name = "recording-" + std::to_string(recording.id) + ".webm";
        etag = recording.sha256;
    }
    std::optional<volume::RecordingDirectory> volume;
    std::optional<volume::FileHandle> file;
    try {
        volume.emplace(services().recordingLibrary.openVolume());
        file.emplace(volume->openFile(path));
    }
    catch (const volume::VolumeError& e) {
        if (e.failure() == volume::VolumeFailure::NotFound)
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
    std::uint64_t first = 0;
    std::uint64_t last = size == 0 ? 0 : size - 1;
    if (range.kind == ByteRangeRequest::Kind::Partial) {
        first = range.first;
        last = range.last;
    }
    if (download_) {
        storage::AuditDetails details;
        details.add("range", range.kind == ByteRangeRequest::Kind::Partial
                                 ? std::to_string(range.first) + "-" + std::to_string(range.last)
                                 : range.kind == ByteRangeRequest::Kind::Whole ? std::string("whole")
                                                                               : std::string("unsatisfiable"));
        auditRecordingAccess(services(), request, action, recording, true, std::move(details));
    }
    else if (range.kind != ByteRangeRequest::Kind::Unsatisfiable && size > 0)
        // A player's many requests are one viewing, audited when it starts and ends.
        services().viewings.request({request.principal->session.tokenHash, request.actorName(), request.clientAddress},
                                    recording.id, name, first, last);

    response.set("Accept-Ranges", "bytes");
    response.set("Cache-Control", "no-store");
    if (!etag.empty())
        response.set("ETag", "\"" + etag + "\"");
    if (range.kind == ByteRangeRequest::Kind::Unsatisfiable) {
        response.set("Content-Range", "bytes */" + std::to_string(size));
        throw HttpError(Status::HTTP_REQUESTED_RANGE_NOT_SATISFIABLE, "range_not_satisfiable",
                        "the file has " + std::to_string(size) + " bytes");
    }
    if (range.kind == ByteRangeRequest::Kind::Partial) {
        response.setStatus(Status::HTTP_PARTIAL_CONTENT);
        response.set("Content-Range",
                     "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(size));
    }
    else
        response.setStatus(Status::HTTP_OK);
    const std::uint64_t length = size == 0 ? 0 : last - first + 1;
    response.setContentType(contentType);
    response.set("Content-Disposition", std::string(download_ ? "attachment" : "inline") + "; filename=\"" + name + "\"");
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
    const auto [recording, rights] = authorizedRecording(services(), request, &RecordingRights::manage, "recording.share");
    const auto username = requireString(*request.jsonBody(), "username", 256);
    const auto user = storage::UserStore(services().database).findByUsername(username);
    if (!user)
        throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_request", "no user named '" + username.substr(0, 64) + "'");
    storage::RecordingStore store(services().database);
    const bool added = store.share(recording.id, user->id, request.actorName(), unixNow());
    auditRecordingAccess(services(), request, "recording.share", recording, true,
          storage::AuditDetails().add("user", user->username).add("new", added));
    const auto updated = store.find(recording.id);
    if (!updated)
        throw HttpError(Status::HTTP_NOT_FOUND, "not_found", "no such recording"); // deleted meanwhile
    sendJson(response, added ? Status::HTTP_CREATED : Status::HTTP_OK, recordingJson(*updated, rights, services(), store));
}

void RecordingShareHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto [recording, rights] = authorizedRecording(services(), request, &RecordingRights::manage, "recording.unshare");
    const auto userId = request.idParam("user");
    storage::RecordingStore store(services().database);
    if (!store.unshare(recording.id, userId))
        throw HttpError(Status::HTTP_NOT_FOUND, "not_found", "the recording is not shared with this user");
    auditRecordingAccess(services(), request, "recording.unshare", recording, true, storage::AuditDetails().add("userId", userId));
    sendNoContent(response);
}

void RecordingVerifyHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    storage::RecordingStore store(services().database);
    const auto recording = findRecording(store, request);
    const auto rights = rightsOf(recording, *request.principal, store);
    const bool allowed = rights.manage || request.principal->isAuditor();
    if (!allowed) {
        auditRecordingAccess(services(), request, "recording.verify", recording, false);
        throw HttpError(Status::HTTP_FORBIDDEN, "forbidden", "you may not do this with this recording");
    }
    if (recording.composition != "done")
        throw HttpError(Status::HTTP_CONFLICT, "not_ready",
                        "the recording is not composed yet (" + recording.composition + ")");
    std::string result;
    try {
        result = services().recordingLibrary.verify(recording, {request.actorName(), request.clientAddress});
    }
    catch (const volume::VolumeError& e) {
        throw volumeUnavailable(e);
    }
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("result", result);
    body.set("sha256", recording.sha256);
    sendJson(response, Status::HTTP_OK, body);
}

} // namespace parley::portal
