// What moderators do over signaling. Each message has its own function returning what
// happened; onModeration answers refusals and audits, the same way for all of them.
#include <parley/portal/meetings/signaling_session.h>

#include "room_departure.h"

#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_fields.h>
#include <parley/portal/meetings/room_registry.h>
#include <parley/portal/meetings/room_service.h>
#include <parley/portal/recordings/recording_service.h>

#include <parley/router/media_router.h>
#include <parley/storage/audit_log.h>

namespace parley::portal {
namespace {

constexpr std::size_t kMaxKindBytes = 8;

std::string participantIdParam(const Poco::JSON::Object& message)
{
    return requireString(message, "participantId", SignalingSession::kMaxParticipantIdBytes);
}

} // namespace

void SignalingSession::onModeration(const std::string& type, const Poco::JSON::Object& message)
{
    using Command = Moderation (SignalingSession::*)(const std::string&, const Poco::JSON::Object&);
    static const std::map<std::string, Command, std::less<>> commands{
        {"admit", &SignalingSession::admitOrDeny}, {"deny", &SignalingSession::admitOrDeny},
        {"mute", &SignalingSession::mute},         {"kick", &SignalingSession::kick},
        {"promote", &SignalingSession::promote},   {"lock", &SignalingSession::lock},
        {"unlock", &SignalingSession::lock},       {"recording.start", &SignalingSession::record},
        {"recording.stop", &SignalingSession::record}, {"end", &SignalingSession::end},
    };
    const auto outcome = (this->*commands.at(type))(type, message);
    if (outcome.answered)
        return;
    if (!outcome.error.empty()) {
        if (outcome.error == "not_moderator" || outcome.error == "policy_forced" ||
            outcome.error == "recording_users_only")
            audit(outcome.action, "failure", storage::AuditDetails().add("reason", outcome.error).text());
        sendRoomError(outcome.error, type);
        return;
    }
    audit(outcome.action, "success", outcome.details.text());
    if (type == "end")
        onDisconnect("meeting ended");
}

SignalingSession::Moderation SignalingSession::admitOrDeny(const std::string& type, const Poco::JSON::Object& message)
{
    const auto target = participantIdParam(message);
    Moderation outcome;
    outcome.action = type == "admit" ? "lobby.admit" : "lobby.deny";
    outcome.error = type == "admit" ? room_->admit(participantId_, target) : room_->deny(participantId_, target);
    outcome.details.add("participant", target);
    return outcome;
}

SignalingSession::Moderation SignalingSession::mute(const std::string&, const Poco::JSON::Object& message)
{
    const auto kind = requireString(message, "kind", kMaxKindBytes);
    if (kind != "audio" && kind != "video")
        throw HttpError(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST, "invalid_request",
                        "kind is \"audio\" or \"video\"");
    const bool all = optionalBool(message, "all").value_or(false);
    const auto target = all ? std::string() : participantIdParam(message);
    const bool muted = optionalBool(message, "muted").value_or(true);
    // The router enforces it: the participant's packets are dropped, whatever it does.
    auto* media = context_.media;
    Moderation outcome;
    outcome.action = "participant.mute";
    outcome.error = room_->muteByModerator(participantId_, target, kind, muted,
                                           [media, &kind](const std::string& id, bool value) {
                                               if (media)
                                                   media->setMuted(id, kind, value);
                                           });
    outcome.details.add("participant", all ? "all" : target).add("kind", kind).add("muted", muted);
    return outcome;
}

SignalingSession::Moderation SignalingSession::kick(const std::string&, const Poco::JSON::Object& message)
{
    const auto target = participantIdParam(message);
    std::optional<Participant> removed;
    Moderation outcome;
    outcome.action = "participant.kick";
    outcome.error = room_->kick(participantId_, target, removed);
    if (!outcome.error.empty())
        return outcome;
    releaseRemoved(context_, roomId_, {target});
    outcome.details.add("participant", target).add("name", removed->identity.displayName);
    if (const auto revoked = revokeKeyOf(context_, roomId_, *removed, actor(), address_))
        outcome.details.add("invitationRevoked", *revoked);
    return outcome;
}

SignalingSession::Moderation SignalingSession::promote(const std::string&, const Poco::JSON::Object& message)
{
    const auto target = participantIdParam(message);
    Moderation outcome;
    outcome.action = "participant.promote";
    outcome.error = room_->promote(participantId_, target);
    outcome.details.add("participant", target);
    return outcome;
}

SignalingSession::Moderation SignalingSession::lock(const std::string& type, const Poco::JSON::Object&)
{
    const bool locked = type == "lock";
    Moderation outcome;
    outcome.action = locked ? "room.lock" : "room.unlock";
    if (!room_->isPresentModerator(participantId_)) {
        outcome.error = "not_moderator";
        return outcome;
    }
    context_.rooms.setLocked(roomId_, locked);
    room_->announceLocked(locked);
    return outcome;
}

SignalingSession::Moderation SignalingSession::record(const std::string& type, const Poco::JSON::Object&)
{
    Moderation outcome;
    outcome.action = type;
    if (!room_->isPresentModerator(participantId_))
        outcome.error = "not_moderator";
    else if (!context_.recordings)
        outcome.error = "recording_unavailable";
    else if (type == "recording.start") {
        // Guests have no principal; a guest made moderator may be kept from recording.
        outcome.error = context_.rooms.roomPolicy().recording.refusalFor(!principal_.has_value());
        if (!outcome.error.empty())
            return outcome;
        try {
            const auto room = context_.rooms.findById(roomId_);
            const auto started = context_.recordings->start(
                roomId_, room ? room->title : std::string(),
                room ? std::optional<std::int64_t>(room->ownerId) : std::nullopt, actor(),
                room ? room->recordingRetentionDays : std::nullopt, room_->displayNames());
            room_->announceRecording(started.startedAt, participantId_);
            outcome.details.add("recording", started.id);
        }
        catch (const RecordingError& e) {
            // Nothing started and nothing was written; the moderator is told why.
            audit(type, "failure",
                  storage::AuditDetails().add("reason", e.code()).add("message", std::string(e.what())).text());
            sendError(e.code(), e.what(), type);
            outcome.answered = true;
        }
    }
    else if (const auto stopped = context_.recordings->stop(roomId_, "")) {
        room_->announceRecording(std::nullopt, participantId_);
        outcome.details.add("recording", *stopped);
    }
    else
        outcome.error = "not_recording";
    return outcome;
}

SignalingSession::Moderation SignalingSession::end(const std::string&, const Poco::JSON::Object&)
{
    Moderation outcome;
    outcome.action = "room.end";
    if (!room_->isPresentModerator(participantId_)) {
        outcome.error = "not_moderator";
        return outcome;
    }
    // A scheduled meeting ended for all stays ended; a personal room is just emptied.
    context_.rooms.endMeeting(roomId_);
    if (context_.recordings)
        context_.recordings->stop(roomId_, "meeting ended");
    releaseRemoved(context_, roomId_, room_->endForAll("ended_by_moderator"));
    return outcome;
}

} // namespace parley::portal
