#include <parley/portal/meetings/room_handlers.h>

#include "room_departure.h"
#include "room_json.h"

#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_fields.h>
#include <parley/portal/http/json_response.h>
#include <parley/portal/meetings/room_registry.h>
#include <parley/portal/meetings/room_service.h>
#include <parley/portal/meetings/signaling_session.h>

#include <parley/router/media_router.h>

#include <parley/storage/user_store.h>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/JSON/Array.h>
#include <Poco/Timestamp.h>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

std::optional<std::int64_t> optionalTime(const Poco::JSON::Object& body, const std::string& field)
{
    const auto text = optionalString(body, field, 40);
    if (!text)
        return std::nullopt;
    Poco::DateTime parsed;
    int zone = 0;
    if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FORMAT, *text, parsed, zone) &&
        !Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, *text, parsed, zone))
        throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_request",
                        "'" + field + "' must be an ISO 8601 time such as 2026-11-23T14:00:00Z");
    return parsed.timestamp().epochTime() - zone;
}

RoomChanges changesFrom(const Poco::JSON::Object& body)
{
    RoomChanges changes;
    changes.title = optionalString(body, "title", 1024);
    changes.pin = optionalString(body, "pin", 64);
    changes.waitingRoom = optionalBool(body, "waitingRoom");
    changes.guestsAllowed = optionalBool(body, "guestsAllowed");
    changes.usersWait = optionalBool(body, "usersWait");
    changes.locked = optionalBool(body, "locked");
    changes.startsAt = optionalTime(body, "startsAt");
    changes.endsAt = optionalTime(body, "endsAt");
    if (body.has("recordingRetentionDays")) {
        const auto value = body.get("recordingRetentionDays");
        if (value.isEmpty())
            changes.recordingRetentionDays = std::optional<int>();
        else if (value.isInteger() && value.convert<Poco::Int64>() >= 0 && value.convert<Poco::Int64>() <= 36500)
            changes.recordingRetentionDays = static_cast<int>(value.convert<Poco::Int64>());
        else
            throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_request",
                            "'recordingRetentionDays' must be a whole number of days (0 to 36500) or null");
    }
    if (body.has("moderators") && !body.isNull("moderators")) {
        const auto list = body.getArray("moderators");
        if (!list)
            throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_request",
                            "'moderators' must be an array of usernames");
        std::vector<std::string> names;
        for (std::size_t i = 0; i < list->size(); ++i) {
            const auto value = list->get(static_cast<unsigned>(i));
            if (!value.isString() || value.extract<std::string>().size() > 256)
                throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_request",
                                "'moderators' must be an array of usernames");
            names.push_back(value.extract<std::string>());
        }
        changes.moderators = std::move(names);
    }
    return changes;
}

/// `present`: whether someone is in the meeting with this key now.
Poco::JSON::Object invitationJson(const storage::Invitation& invitation, bool present)
{
    Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    object.set("id", invitation.id);
    object.set("name", invitation.name);
    object.set("createdBy", invitation.createdBy);
    object.set("createdAt", isoTime(invitation.createdAt));
    object.set("revoked", invitation.revokedAt.has_value());
    object.set("joins", invitation.joins);
    if (invitation.lastJoinedAt)
        object.set("lastJoinedAt", isoTime(*invitation.lastJoinedAt));
    else
        object.set("lastJoinedAt", Poco::Dynamic::Var());
    object.set("present", present);
    return object;
}

} // namespace

void RoomsHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    auto& rooms = services().rooms;
    const auto& principal = *request.principal;
    if (request.http.getMethod() == "POST") {
        const auto room = rooms.createMeeting(principal, changesFrom(*request.jsonBody()),
                                              request.clientAddress);
        sendJson(response, Status::HTTP_CREATED, roomJson(room, services()));
        return;
    }
    Poco::JSON::Array list;
    for (const auto& room : rooms.roomsOf(principal.user, request.clientAddress))
        list.add(roomJson(room, services()));
    Poco::JSON::Object body;
    body.set("rooms", list);
    sendJson(response, Status::HTTP_OK, body);
}

void RoomHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    auto& rooms = services().rooms;
    const auto& principal = *request.principal;
    const auto id = request.idParam("id");
    const auto& method = request.http.getMethod();
    if (method == "DELETE") {
        rooms.remove(id, principal, request.clientAddress);
        if (const auto live = services().registry.find(id))
            releaseRemoved(services().signaling, id, live->endForAll("meeting_deleted"));
        sendNoContent(response);
        return;
    }
    if (method == "PATCH") {
        const auto changes = changesFrom(*request.jsonBody());
        const auto room = rooms.update(id, principal, changes, request.clientAddress);
        if (changes.locked)
            if (const auto live = services().registry.find(id))
                live->announceLocked(room.locked);
        sendJson(response, Status::HTTP_OK, roomJson(room, services()));
        return;
    }
    sendJson(response, Status::HTTP_OK, roomJson(rooms.manageable(id, principal), services()));
}

void RoomLinkHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto room =
        services().rooms.regenerateLink(request.idParam("id"), *request.principal, request.clientAddress);
    sendJson(response, Status::HTTP_OK, roomJson(room, services()));
}

void InvitationsHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    auto& rooms = services().rooms;
    const auto id = request.idParam("id");
    if (request.http.getMethod() == "POST") {
        const auto name = requireString(*request.jsonBody(), "name", 256);
        const auto issued = rooms.issueInvitation(id, *request.principal, name, request.clientAddress);
        auto body = invitationJson(issued.invitation, false);
        body.set("key", issued.key);
        sendJson(response, Status::HTTP_CREATED, body);
        return;
    }
    const auto invitations = rooms.invitations(id, *request.principal);
    const auto live = services().registry.find(id);
    const auto present = live ? live->presentInvitations() : std::set<std::int64_t>{};
    Poco::JSON::Array list;
    for (const auto& invitation : invitations)
        list.add(invitationJson(invitation, present.contains(invitation.id)));
    Poco::JSON::Object body;
    body.set("invitations", list);
    sendJson(response, Status::HTTP_OK, body);
}

void InvitationHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    auto& rooms = services().rooms;
    const auto room = rooms.manageable(request.idParam("id"), *request.principal);
    const auto invitationId = request.idParam("invitation");
    rooms.revokeInvitation(room.id, invitationId, request.actorName(), request.clientAddress);
    if (const auto live = services().registry.find(room.id))
        releaseRemoved(services().signaling, room.id, live->removeInvitee(invitationId));
    sendNoContent(response);
}

} // namespace parley::portal
