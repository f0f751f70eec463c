#include <parley/portal/meetings/admin_meeting_handlers.h>

#include "room_departure.h"

#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_response.h>
#include <parley/portal/meetings/live_room.h>
#include <parley/portal/meetings/room_registry.h>
#include <parley/portal/meetings/room_service.h>
#include <parley/portal/meetings/signaling_session.h>
#include <parley/portal/recordings/recording_service.h>

#include <parley/router/media_router.h>

#include <parley/storage/audit_details.h>
#include <parley/storage/audit_log.h>
#include <parley/storage/room_store.h>
#include <parley/storage/user_store.h>

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <map>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

Poco::JSON::Object::Ptr meetingJson(const LiveRoom::Snapshot& room, MeetingHandlerServices& services)
{
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    object->set("roomId", room.facts.roomId);
    object->set("meetingId", std::to_string(room.facts.meetingId));
    object->set("title", room.facts.title);
    object->set("kind", room.facts.kind);
    Poco::JSON::Object owner(Poco::JSON_PRESERVE_KEY_ORDER);
    if (const auto stored = storage::RoomStore(services.database).findById(room.facts.roomId))
        if (const auto user = storage::UserStore(services.database).findById(stored->ownerId)) {
            owner.set("username", user->username);
            owner.set("displayName", user->displayName);
        }
    object->set("owner", owner);
    object->set("participants", room.present.size());
    object->set("waiting", room.waiting.size());
    object->set("startedAt", isoTime(room.startedAt));
    object->set("locked", room.facts.locked);
    object->set("recording", room.recordingSince.has_value());
    if (room.recordingSince)
        object->set("recordingSince", isoTime(*room.recordingSince));
    return object;
}

Poco::JSON::Object::Ptr personJson(const Participant& person, const char* state, const router::ParticipantMedia* media)
{
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    object->set("participantId", person.id);
    object->set("name", person.identity.displayName);
    object->set("guest", person.identity.guest);
    object->set("sip", person.identity.sip);
    if (person.identity.username.empty())
        object->set("username", Poco::Dynamic::Var());
    else
        object->set("username", person.identity.username);
    object->set("moderator", person.isModerator());
    object->set("state", state);
    object->set("reconnecting", person.reconnecting);
    object->set("joinedAt", isoTime(person.arrivedAt));
    object->set("audioMuted", person.audioMuted || person.audioMutedByModerator);
    object->set("videoMuted", person.videoMuted || person.videoMutedByModerator);
    // Without negotiated media (waiting, or audio and video both off) there is nothing to measure.
    if (media) {
        object->set("bitsPerSecondIn", media->bitsPerSecondIn);
        object->set("bitsPerSecondOut", media->bitsPerSecondOut);
        object->set("lossPercentIn", media->lossPercentIn);
        object->set("lossPercentOut", media->lossPercentOut);
        object->set("packetLossPercent", std::max(media->lossPercentIn, media->lossPercentOut));
    }
    else {
        for (const char* field : {"bitsPerSecondIn", "bitsPerSecondOut", "lossPercentIn", "lossPercentOut",
                                  "packetLossPercent"})
            object->set(field, Poco::Dynamic::Var());
    }
    if (person.roundTripMs)
        object->set("roundTripMs", *person.roundTripMs);
    else
        object->set("roundTripMs", Poco::Dynamic::Var());
    return object;
}

std::shared_ptr<LiveRoom> liveRoom(const ApiRequest& request, MeetingHandlerServices& services)
{
    auto room = services.registry.find(request.idParam("id"));
    if (!room)
        throw HttpError(Status::HTTP_NOT_FOUND, "meeting_not_live", "nobody is in this meeting now");
    return room;
}

} // namespace

void LiveMeetingsHandler::handle(const ApiRequest&, Poco::Net::HTTPServerResponse& response)
{
    auto rooms = services().registry.all();
    std::vector<LiveRoom::Snapshot> snapshots;
    snapshots.reserve(rooms.size());
    for (const auto& room : rooms) {
        auto snapshot = room->snapshot();
        if (!snapshot.present.empty() || !snapshot.waiting.empty())
            snapshots.push_back(std::move(snapshot));
    }
    // The longest-running first: those are the ones an admin asks about.
    std::sort(snapshots.begin(), snapshots.end(),
              [](const auto& a, const auto& b) { return a.startedAt < b.startedAt; });
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& snapshot : snapshots)
        list->add(meetingJson(snapshot, services()));
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("meetings", list);
    sendJson(response, Status::HTTP_OK, body);
}

void LiveMeetingHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto room = liveRoom(request, services());
    const auto roomId = room->facts().roomId;
    auto& context = services().signaling;
    if (request.http.getMethod() == "DELETE") {
        const auto snapshot = room->snapshot();
        // As a moderator's "end": a scheduled meeting stays ended, a personal room is emptied.
        context.rooms.endMeeting(roomId);
        if (context.recordings)
            context.recordings->stop(roomId, "meeting ended");
        const auto removed = room->endForAll("ended_by_admin");
        releaseRemoved(context, roomId, removed);
        services().audit.append({request.actorName(), request.clientAddress, "room.end", "room:" + std::to_string(roomId),
                                 "success",
                                 storage::AuditDetails()
                                     .add("via", "admin")
                                     .add("participants", static_cast<std::int64_t>(removed.size()))
                                     .add("recordingStopped", snapshot.recordingSince.has_value())
                                     .text()});
        sendNoContent(response);
        return;
    }
    const auto snapshot = room->snapshot();
    std::map<std::string, router::ParticipantMedia> media;
    if (context.media)
        for (auto& item : context.media->participantMedia(roomId))
            media.emplace(item.participantId, item);
    auto body = meetingJson(snapshot, services());
    Poco::JSON::Array::Ptr people = new Poco::JSON::Array;
    for (const auto& person : snapshot.present) {
        const auto found = media.find(person.id);
        people->add(personJson(person, "in", found == media.end() ? nullptr : &found->second));
    }
    for (const auto& person : snapshot.waiting)
        people->add(personJson(person, "waiting", nullptr));
    body->set("people", people);
    body->set("mediaAvailable", context.media != nullptr);
    sendJson(response, Status::HTTP_OK, *body);
}

void LiveParticipantHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto room = liveRoom(request, services());
    const auto roomId = room->facts().roomId;
    const auto target = request.params.at("participant");
    if (target.empty() || target.size() > SignalingSession::kMaxParticipantIdBytes)
        throw HttpError(Status::HTTP_NOT_FOUND, "unknown_participant", "nobody with this id is in the meeting");
    const auto removed = room->removeByAdmin(target);
    if (!removed)
        throw HttpError(Status::HTTP_NOT_FOUND, "unknown_participant", "nobody with this id is in the meeting");
    auto& context = services().signaling;
    releaseRemoved(context, roomId, {target});
    storage::AuditDetails details;
    details.add("via", "admin").add("participant", target).add("name", removed->identity.displayName);
    if (!removed->identity.username.empty())
        details.add("user", removed->identity.username);
    // As a moderator's kick: an invitation key they came with stops working.
    if (const auto revoked = revokeKeyOf(context, roomId, *removed, request.actorName(), request.clientAddress))
        details.add("invitationRevoked", *revoked);
    services().audit.append({request.actorName(), request.clientAddress, "participant.kick",
                             "room:" + std::to_string(roomId), "success", details.text()});
    sendNoContent(response);
}

} // namespace parley::portal
