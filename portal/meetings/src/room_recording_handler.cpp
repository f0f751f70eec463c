#include <parley/portal/meetings/room_recording_handler.h>

#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_fields.h>
#include <parley/portal/http/json_response.h>
#include <parley/portal/meetings/live_room.h>
#include <parley/portal/meetings/room_registry.h>
#include <parley/portal/meetings/room_service.h>
#include <parley/portal/meetings/signaling_session.h>
#include <parley/portal/recordings/recording_service.h>

#include <parley/storage/audit_details.h>
#include <parley/storage/audit_log.h>

namespace parley::portal {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

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
                                 storage::AuditDetails().add("reason", code).add("message", message).add("via", "api").text()});
        throw HttpError(status, code, message);
    };
    const auto live = services().registry.find(room.id);
    if (!live)
        refuse(Status::HTTP_CONFLICT, "meeting_not_running", "nobody is in this meeting; recording starts in one");
    if (!recordings)
        refuse(Status::HTTP_SERVICE_UNAVAILABLE, "recording_unavailable", "recording is not available on this server");
    // Only signed-in people call the API, so only "forced off" can refuse them here.
    if (action == "start" && !services().rooms.roomPolicy().recording.refusalFor(false).empty())
        refuse(Status::HTTP_CONFLICT, "policy_forced", "the server's room policy does not allow recording");
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    storage::AuditDetails details;
    details.add("via", "api");
    if (action == "start") {
        try {
            const auto started = recordings->start(room.id, room.title, room.ownerId, request.actorName(),
                                                   room.recordingRetentionDays, live->displayNames());
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
    else if (const auto stopped = recordings->stop(room.id, "")) {
        live->announceRecording(std::nullopt, request.actorName());
        details.add("recording", *stopped);
        body.set("recordingId", *stopped);
    }
    else
        refuse(Status::HTTP_CONFLICT, "not_recording", "this meeting is not being recorded");
    services().audit.append({request.actorName(), request.clientAddress, auditAction, "room:" + std::to_string(room.id),
                             "success", details.text()});
    body.set("recording", action == "start");
    sendJson(response, Status::HTTP_OK, body);
}

} // namespace parley::portal
