// The `join` message: admission by JoinAdmission, then entry into the live room.
#include <parley/portal/meetings/signaling_session.h>

#include <parley/log/log_event.h>

#include "join_admission.h"
#include "signaling_texts.h"

#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_fields.h>
#include <parley/portal/http/secret_token.h>
#include <parley/portal/meetings/room_registry.h>
#include <parley/portal/meetings/room_service.h>

#include <parley/router/media_router.h>
#include <parley/storage/audit_log.h>

#include <Poco/Logger.h>

namespace parley::portal {
namespace {

constexpr std::size_t kParticipantIdCharacters = 22; // 132 random bits of base64url
constexpr std::size_t kMaxResumeTokenBytes = 128;   // tokens are 43 characters

Poco::Logger& logger()
{
    return Poco::Logger::get("portal.signaling");
}

} // namespace

void SignalingSession::refuseJoin(const std::string& code, std::int64_t roomId, std::int64_t retryAfter)
{
    Poco::JSON::Object error(Poco::JSON_PRESERVE_KEY_ORDER);
    error.set("type", "error");
    error.set("code", code);
    error.set("message", joinRefusalText(code));
    error.set("request", "join");
    if (retryAfter > 0)
        error.set("retryAfter", retryAfter);
    sink_->send(messageText(error));
    // Refusals during a PIN lockout are not audited one by one (the lockout is, once), so
    // a locked-out guesser cannot flood the audit log.
    if (code != "too_many_attempts")
        context_.audit.append({actor(), address_, "room.join",
                               roomId ? "room:" + std::to_string(roomId) : std::string("room:unknown"),
                               "failure", storage::AuditDetails().add("reason", code).text()});
}

void SignalingSession::onJoin(const std::string&, const Poco::JSON::Object& message)
{
    if (room_) {
        sendError("already_joined", "this connection is already in a room; leave first", "join");
        return;
    }
    const auto request = JoinRequest::parse(message);
    auto admission = JoinAdmission(context_.rooms, context_.pinThrottle, context_.meetingIdThrottle)
                         .decide(request, message, principal_, address_, sipCaller_ ? &*sipCaller_ : nullptr);
    if (!admission.refusal.empty()) {
        refuseJoin(admission.refusal, admission.roomId, admission.retryAfter);
        if (admission.pinLockedOut)
            context_.audit.append({actor(), address_, "room.pin_lockout",
                                   "room:" + std::to_string(admission.roomId), "failure", "{}"});
        return;
    }

    const auto& room = *admission.room;
    Participant participant;
    participant.id = randomToken().substr(0, kParticipantIdCharacters);
    participant.identity = admission.identity;
    participant.role = admission.moderator ? ParticipantRole::Moderator : ParticipantRole::Participant;
    participant.sink = sink_;
    const RoomFacts facts{room.id, room.meetingId, room.title,
                          room.kind == storage::RoomKind::Meeting ? "meeting" : "personal", room.locked};
    LiveRoom::Entry entry = LiveRoom::Entry::Present;
    std::string error;
    const auto id = participant.id;
    auto live = context_.registry.enter(facts, std::move(participant), admission.waits,
                                        static_cast<std::size_t>(context_.rooms.settings().maxParticipants),
                                        entry, error);
    if (!live)
        return refuseJoin(error, room.id);
    room_ = live;
    roomId_ = room.id;
    participantId_ = id;
    displayName_ = admission.identity.displayName;
    // Invitation holders skip the lobby, so entering is being admitted. The count only
    // informs the key's issuer: failing to store it must not undo a join that happened.
    if (admission.invitation && entry == LiveRoom::Entry::Present) {
        try {
            context_.rooms.recordInvitationJoin(admission.invitation->id);
        }
        catch (const std::exception& e) {
            log::warning(logger(), "invitation.count_failed",
                         "could not count a join with invitation " + std::to_string(admission.invitation->id) + ": " +
                             e.what(),
                         {{"invitation", admission.invitation->id}, {"error", e.what()}});
        }
    }
    audit("room.join", "success",
          storage::AuditDetails()
              .add("participant", id)
              .add("name", admission.identity.displayName)
              .add("guest", admission.identity.guest)
              .add("via", sipCaller_ ? std::string("sip") : request.via())
              .add("role", admission.moderator ? "moderator" : "participant")
              .add("waiting", entry == LiveRoom::Entry::Waiting)
              .text());
}

void SignalingSession::onResume(const std::string&, const Poco::JSON::Object& message)
{
    if (room_) {
        sendError("already_joined", "this connection is already in a room; leave first", "resume");
        return;
    }
    const auto token = requireString(message, "token", kMaxResumeTokenBytes);
    const auto roomValue = message.get("roomId");
    std::optional<Poco::Int64> parsedRoomId;
    if (!roomValue.isEmpty() && roomValue.isInteger()) {
        try {
            parsedRoomId = roomValue.convert<Poco::Int64>();
        }
        catch (const Poco::Exception&) {
            // past 64 bits: a client error like any other malformed value
        }
    }
    if (!parsedRoomId)
        throw HttpError(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST, "invalid_request",
                        "resume needs the roomId and the resumeToken of the last joined message");
    const auto roomId = *parsedRoomId;
    const auto live = context_.registry.find(roomId);
    Participant resumed;
    const auto userId = principal_ ? std::optional<std::int64_t>(principal_->user.id) : std::nullopt;
    // What the router had for the participant belongs to the connection that was lost: it is
    // released, and the moderator's mutes as they stand re-applied, under the room's lock, so
    // that neither a mute nor the old connection's negotiation can come in between.
    auto* media = context_.media;
    const auto resetMedia = [media](const Participant& participant) {
        if (!media)
            return;
        media->removeParticipant(participant.id);
        if (participant.audioMutedByModerator)
            media->setMuted(participant.id, "audio", true);
        if (participant.videoMutedByModerator)
            media->setMuted(participant.id, "video", true);
    };
    const auto error = live ? live->resume(token, userId, sink_, resumed, resetMedia) : std::string("invalid_token");
    if (!error.empty()) {
        sendError(error, "this resume token is not valid (it was used, has expired or is not for this meeting); join again",
                  "resume");
        context_.audit.append({actor(), address_, "room.resume", "room:" + std::to_string(roomId), "failure",
                               storage::AuditDetails().add("reason", error).text()});
        return;
    }
    room_ = live;
    roomId_ = roomId;
    participantId_ = resumed.id;
    displayName_ = resumed.identity.displayName;
    audit("room.resume", "success",
          storage::AuditDetails().add("participant", resumed.id).add("name", resumed.identity.displayName).text());
}

} // namespace parley::portal
