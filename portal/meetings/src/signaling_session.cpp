#include "signaling_session.h"

#include "audit_details.h"
#include "constant_time.h"
#include "http_error.h"
#include "json_fields.h"
#include "login_throttle.h"
#include "recording_service.h"
#include "room_registry.h"
#include "room_service.h"
#include "text_validation.h"

#include <parley/router/media_router.h>
#include <parley/router/sdp.h>
#include <parley/storage/audit_log.h>

#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>


#include <Poco/NumberParser.h>

#include <map>
#include <set>

namespace parley::portal {
namespace {

constexpr std::size_t kMaxCredentialBytes = 128;
constexpr std::size_t kMaxNameCharacters = 64;
constexpr std::size_t kMaxIdBytes = 64;

Poco::Logger& logger()
{
    return Poco::Logger::get("portal.signaling");
}

// Human-readable text for each join refusal; the code is what clients act on.
const std::map<std::string, std::string>& refusalTexts()
{
    static const std::map<std::string, std::string> texts{
        {"invalid_link", "this meeting link is not valid (it may have been replaced)"},
        {"invalid_key", "this invitation key is not valid"},
        {"revoked_key", "this invitation has been revoked"},
        {"unknown_meeting", "no meeting has this ID"},
        {"meeting_ended", "this meeting has ended"},
        {"guests_not_allowed", "this room does not admit guests; sign in first"},
        {"room_locked", "the room is locked; nobody new may join"},
        {"pin_required", "this room needs a PIN"},
        {"pin_incorrect", "the PIN is not correct"},
        {"pin_not_set", "the server requires a PIN but the room has none; ask its owner to set one"},
        {"too_many_attempts", "too many wrong PINs; wait before trying again"},
        {"room_full", "the room is full"},
        {"removed", "you were removed from this meeting"},
        {"sign_in_required", "joining by meeting ID needs a signed-in user; guests use the link"},
    };
    return texts;
}


std::string participantIdParam(const Poco::JSON::Object& message)
{
    return requireString(message, "participantId", kMaxIdBytes);
}

} // namespace

SignalingSession::SignalingSession(SignalingContext& context, std::optional<Principal> principal,
                                   std::string address, std::shared_ptr<ParticipantSink> sink)
    : context_(context), principal_(std::move(principal)), address_(std::move(address)),
      sink_(std::move(sink))
{}

SignalingSession::~SignalingSession()
{
    onDisconnect("disconnected");
}

std::string SignalingSession::actor() const
{
    return principal_ ? principal_->user.username : "guest";
}

void SignalingSession::audit(const std::string& action, const std::string& outcome,
                             const std::string& details)
{
    context_.audit.append({actor(), address_, action, "room:" + std::to_string(roomId_), outcome, details});
}

void SignalingSession::sendError(const std::string& code, const std::string& text,
                                 const std::string& request)
{
    Poco::JSON::Object error(Poco::JSON_PRESERVE_KEY_ORDER);
    error.set("type", "error");
    error.set("code", code);
    error.set("message", text);
    if (!request.empty())
        error.set("request", request);
    sink_->send(messageText(error));
}

void SignalingSession::onMessage(const std::string& text)
{
    Poco::JSON::Object::Ptr message;
    try {
        Poco::JSON::Parser parser;
        parser.setDepth(16);
        const auto value = parser.parse(text);
        if (value.type() == typeid(Poco::JSON::Object::Ptr))
            message = value.extract<Poco::JSON::Object::Ptr>();
    }
    catch (const Poco::Exception&) {
        sendError("invalid_json", "the message is not valid JSON", "");
        return;
    }
    if (!message) {
        sendError("invalid_message", "a message is a JSON object with a \"type\"", "");
        return;
    }
    std::string type;
    try {
        type = requireString(*message, "type", 32);
    }
    catch (const HttpError&) {
        sendError("invalid_message", "a message is a JSON object with a string \"type\"", "");
        return;
    }
    try {
        dispatch(type, message);
    }
    catch (const HttpError& e) {
        sendError(e.code(), e.what(), type);
    }
    catch (const Poco::Exception& e) {
        logger().error("signaling message %s failed: %s", type, e.displayText());
        sendError("internal_error", "the server could not handle this message", type);
    }
    catch (const std::exception& e) {
        logger().error("signaling message %s failed: %s", type, std::string(e.what()));
        sendError("internal_error", "the server could not handle this message", type);
    }
}

void SignalingSession::dispatch(const std::string& type, const Poco::JSON::Object::Ptr& message)
{
    if (type == "ping") {
        sink_->send(R"({"type":"pong"})");
        return;
    }
    if (type == "join") {
        join(*message);
        return;
    }
    static const std::set<std::string> known{
        "leave", "hand.raise", "hand.lower", "media.state", "admit", "deny", "mute", "kick",
        "lock", "unlock", "end", "promote", "media.offer", "media.answer", "media.candidate",
        "recording.start", "recording.stop"};
    if (!known.contains(type)) {
        sendError("unknown_type", "unknown message type", type.substr(0, 32));
        return;
    }
    if (!room_) {
        sendError("not_joined", "join a room first", type);
        return;
    }
    if (type == "leave") {
        onDisconnect("left");
        sink_->close(1000, "left");
        return;
    }
    std::string error;
    if (type == "hand.raise" || type == "hand.lower")
        error = room_->setHand(participantId_, type == "hand.raise");
    else if (type == "media.state")
        error = room_->setOwnMedia(participantId_, optionalBool(*message, "audioMuted"),
                                   optionalBool(*message, "videoMuted"));
    else if (type == "media.offer" && !message->has("to")) {
        negotiateMedia(*message);
        return;
    }
    else if (type.starts_with("media.")) {
        // With the router in the process, media is negotiated with it only: a relayed
        // answer could steer a victim's media to another participant.
        if (context_.media)
            throw HttpError(Poco::Net::HTTPResponse::HTTP_FORBIDDEN, "relay_disabled",
                            "media messages go to the media router; 'to' is not allowed");
        error = room_->relay(participantId_, requireString(*message, "to", kMaxIdBytes), message);
    }
    else {
        moderate(type, *message);
        return;
    }
    if (!error.empty())
        sendError(error, error == "not_joined" ? "wait until you are admitted"
                                               : "no such participant in this room",
                  type);
}

void SignalingSession::moderate(const std::string& type, const Poco::JSON::Object& message)
{
    auto& live = *room_;
    std::string error;
    AuditDetails details;
    std::string action;
    if (type == "admit" || type == "deny") {
        const auto target = participantIdParam(message);
        error = type == "admit" ? live.admit(participantId_, target) : live.deny(participantId_, target);
        details.add("participant", target);
        action = type == "admit" ? "lobby.admit" : "lobby.deny";
    }
    else if (type == "mute") {
        const auto kind = requireString(message, "kind", 8);
        if (kind != "audio" && kind != "video")
            throw HttpError(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST, "invalid_request",
                            "kind is \"audio\" or \"video\"");
        const bool all = optionalBool(message, "all").value_or(false);
        const auto target = all ? std::string() : participantIdParam(message);
        const bool muted = optionalBool(message, "muted").value_or(true);
        // The router enforces it: the participant's packets are dropped, whatever it does.
        auto* media = context_.media;
        error = live.muteByModerator(participantId_, target, kind, muted,
                                     [media, &kind](const std::string& id, bool value) {
                                         if (media)
                                             media->setMuted(id, kind, value);
                                     });
        details.add("participant", all ? "all" : target).add("kind", kind).add("muted", muted);
        action = "participant.mute";
    }
    else if (type == "kick") {
        const auto target = participantIdParam(message);
        std::optional<Participant> removed;
        error = live.kick(participantId_, target, removed);
        if (error.empty()) {
            if (context_.media)
                context_.media->removeParticipant(target);
            details.add("participant", target).add("name", removed->identity.displayName);
            if (removed->identity.invitationId) {
                // A kicked invitee's key stops working: they cannot come back with it.
                try {
                    context_.rooms.revokeInvitation(roomId_, *removed->identity.invitationId,
                                                    actor(), address_);
                }
                catch (const HttpError&) {
                    // already revoked meanwhile; nothing left to do
                }
                details.add("invitationRevoked", *removed->identity.invitationId);
            }
            context_.registry.forgetIfEmpty(roomId_);
        }
        action = "participant.kick";
    }
    else if (type == "promote") {
        const auto target = participantIdParam(message);
        error = live.promote(participantId_, target);
        details.add("participant", target);
        action = "participant.promote";
    }
    else if (type == "lock" || type == "unlock") {
        if (!live.isPresentModerator(participantId_))
            error = "not_moderator";
        else {
            context_.rooms.store().setLocked(roomId_, type == "lock");
            live.announceLocked(type == "lock");
        }
        action = type == "lock" ? "room.lock" : "room.unlock";
    }
    else if (type == "recording.start" || type == "recording.stop") {
        action = type;
        if (!live.isPresentModerator(participantId_))
            error = "not_moderator";
        else if (!context_.recordings)
            error = "recording_unavailable";
        else if (type == "recording.start") {
            try {
                const auto room = context_.rooms.store().findById(roomId_);
                const auto started = context_.recordings->start(
                    roomId_, room ? room->title : std::string(),
                    room ? std::optional<std::int64_t>(room->ownerId) : std::nullopt, actor(),
                    room ? room->recordingRetentionDays : std::nullopt);
                live.announceRecording(started.startedAt, participantId_);
                details.add("recording", started.id);
            }
            catch (const RecordingError& e) {
                // Nothing started and nothing was written; the moderator is told why.
                audit(action, "failure", AuditDetails().add("reason", e.code()).add("message", std::string(e.what())).text());
                sendError(e.code(), e.what(), type);
                return;
            }
        }
        else if (!context_.recordings->stop(roomId_, ""))
            error = "not_recording";
        else
            live.announceRecording(std::nullopt, participantId_);
    }
    else if (type == "end") {
        if (!live.isPresentModerator(participantId_))
            error = "not_moderator";
        else {
            // A scheduled meeting ended for all stays ended; a personal room is just emptied.
            context_.rooms.store().endMeeting(roomId_, unixNow());
            if (context_.recordings)
                context_.recordings->stop(roomId_, "meeting ended");
            for (const auto& id : live.endForAll("ended_by_moderator"))
                if (context_.media)
                    context_.media->removeParticipant(id);
            context_.registry.forgetIfEmpty(roomId_);
        }
        action = "room.end";
    }
    if (!error.empty()) {
        if (error == "not_moderator")
            audit(action, "failure", AuditDetails().add("reason", "not_moderator").text());
        sendError(error,
                  error == "not_moderator"       ? "only moderators may do this"
                  : error == "not_recording"     ? "this meeting is not being recorded"
                  : error == "recording_unavailable" ? "recording is not available on this server"
                  : error == "not_waiting"       ? "nobody with this id is waiting"
                  : error == "cannot_target_self" ? "use leave to leave the meeting"
                                                  : "no such participant in this room",
                  type);
        return;
    }
    audit(action, "success", details.text());
    if (type == "end")
        onDisconnect("meeting ended");
}

void SignalingSession::negotiateMedia(const Poco::JSON::Object& message)
{
    if (!room_->isPresent(participantId_))
        throw HttpError(Poco::Net::HTTPResponse::HTTP_FORBIDDEN, "not_joined",
                        "wait until you are admitted");
    if (!context_.media)
        throw HttpError(Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "media_unavailable",
                        "this server runs without a media router");
    const auto sdp = requireString(message, "sdp", 256 * 1024);
    // mid -> label and mid -> track id maps, each a small JSON object of strings.
    const auto stringMap = [&message](const std::string& field) {
        std::map<std::string, std::string> result;
        if (!message.has(field))
            return result;
        const auto object = message.getObject(field);
        if (!object || object->size() > 64)
            throw HttpError(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST, "invalid_request",
                            "'" + field + "' must be an object of at most 64 strings");
        for (const auto& name : object->getNames())
            result[name.substr(0, 32)] = requireString(*object, name, 128);
        return result;
    };
    const auto tracks = stringMap("tracks");
    const auto subscriptions = stringMap("subscriptions");
    router::Negotiation negotiation;
    try {
        negotiation = context_.media->negotiate(roomId_, participantId_, sdp, tracks, subscriptions);
    }
    catch (const router::SdpError& e) {
        throw HttpError(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST, "invalid_sdp", e.what());
    }
    Poco::JSON::Object answer(Poco::JSON_PRESERVE_KEY_ORDER);
    answer.set("type", "media.answer");
    answer.set("sdp", negotiation.answer);
    sink_->send(messageText(answer));
    std::vector<MediaTrack> published;
    for (const auto& track : negotiation.published)
        published.push_back({track.id, track.kind, participantId_});
    std::vector<MediaTrack> subscribed;
    for (const auto& [mid, trackId] : subscriptions)
        subscribed.push_back({trackId, "", trackId.substr(0, trackId.find('/'))});
    room_->setTracks(participantId_, std::move(published), std::move(subscribed));
}

void SignalingSession::refuseJoin(const std::string& code, const std::string& text,
                                  std::int64_t roomId, std::int64_t retryAfter)
{
    Poco::JSON::Object error(Poco::JSON_PRESERVE_KEY_ORDER);
    error.set("type", "error");
    error.set("code", code);
    error.set("message", text);
    error.set("request", "join");
    if (retryAfter > 0)
        error.set("retryAfter", retryAfter);
    sink_->send(messageText(error));
    // Refusals during a PIN lockout are not audited one by one (the lockout is, once), so
    // a locked-out guesser cannot flood the audit log.
    if (code != "too_many_attempts")
        context_.audit.append({actor(), address_, "room.join",
                               roomId ? "room:" + std::to_string(roomId) : std::string("room:unknown"),
                               "failure", AuditDetails().add("reason", code).text()});
}

void SignalingSession::join(const Poco::JSON::Object& message)
{
    if (room_) {
        sendError("already_joined", "this connection is already in a room; leave first", "join");
        return;
    }
    const auto refuse = [&](const std::string& code, std::int64_t roomId, std::int64_t retryAfter = 0) {
        refuseJoin(code, refusalTexts().at(code), roomId, retryAfter);
    };
    const auto link = optionalString(message, "link", kMaxCredentialBytes);
    const auto key = optionalString(message, "key", kMaxCredentialBytes);
    const auto meetingIdText = optionalString(message, "meetingId", 16);
    const auto pin = optionalString(message, "pin", 32).value_or("");
    auto& store = context_.rooms.store();

    std::optional<storage::Room> room;
    std::optional<storage::Invitation> invitation;
    if (key) {
        invitation = store.findInvitationByKeyHash(tokenHash(*key));
        if (!invitation)
            return refuse("invalid_key", 0);
        room = store.findById(invitation->roomId);
        if (!room)
            return refuse("invalid_key", 0);
        if (invitation->revokedAt)
            return refuse("revoked_key", room->id);
    }
    else if (link) {
        room = store.findByLinkSecret(*link);
        if (!room || !equalConstantTime(room->linkSecret, *link))
            return refuse("invalid_link", 0);
    }
    else if (meetingIdText) {
        if (!principal_)
            return refuse("sign_in_required", 0);
        Poco::Int64 meetingId = 0;
        if (meetingIdText->size() != 9 ||
            meetingIdText->find_first_not_of("0123456789") != std::string::npos ||
            !Poco::NumberParser::tryParse64(*meetingIdText, meetingId) ||
            !(room = store.findByMeetingId(meetingId)))
            return refuse("unknown_meeting", 0);
    }
    else {
        throw HttpError(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST, "invalid_request",
                        "join needs one of link, key or meetingId");
    }

    Identity identity;
    identity.address = address_;
    bool moderator = false;
    if (principal_) {
        identity.userId = principal_->user.id;
        identity.username = principal_->user.username;
        identity.displayName = principal_->user.displayName.empty() ? principal_->user.username
                                                                    : principal_->user.displayName;
        identity.guest = false;
        moderator = context_.rooms.isModerator(*room, principal_->user.id);
    }
    else if (invitation) {
        identity.displayName = invitation->name;
    }
    else {
        const auto name = optionalString(message, "name", 256).value_or("");
        if (name.empty() || !isValidUtf8(name) || hasControlCharacters(name) ||
            utf8Length(name) > kMaxNameCharacters)
            throw HttpError(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST, "invalid_name",
                            "a guest needs a name of 1 to 64 printable characters");
        identity.displayName = name;
    }
    if (invitation)
        identity.invitationId = invitation->id;

    const auto now = unixNow();
    if (room->kind == storage::RoomKind::Meeting && room->endsAt && *room->endsAt <= now)
        return refuse("meeting_ended", room->id);
    if (!moderator) {
        if (identity.guest && !invitation && !room->guestsAllowed)
            return refuse("guests_not_allowed", room->id);
        if (room->locked)
            return refuse("room_locked", room->id);
        if (!invitation) {
            if (room->pin.empty()) {
                if (identity.guest && context_.rooms.settings().pin.required)
                    return refuse("pin_not_set", room->id);
            }
            else {
                const auto subject = "room:" + std::to_string(room->id);
                const auto wait = context_.pinThrottle.lockedFor(subject, address_);
                if (wait.count() > 0)
                    return refuse("too_many_attempts", room->id, wait.count());
                if (pin.empty())
                    return refuse("pin_required", room->id);
                if (!equalConstantTime(pin, room->pin)) {
                    refuse("pin_incorrect", room->id);
                    if (context_.pinThrottle.recordFailure(subject, address_))
                        context_.audit.append({actor(), address_, "room.pin_lockout",
                                               "room:" + std::to_string(room->id), "failure", "{}"});
                    return;
                }
                context_.pinThrottle.recordSuccess(subject);
            }
        }
    }

    Participant participant;
    participant.id = randomToken().substr(0, 22);
    participant.identity = identity;
    participant.role = moderator ? ParticipantRole::Moderator : ParticipantRole::Participant;
    participant.sink = sink_;
    const bool wait = !moderator && !invitation && room->waitingRoom &&
                      (identity.guest || room->usersWait);
    const RoomFacts facts{room->id, room->meetingId, room->title,
                          room->kind == storage::RoomKind::Meeting ? "meeting" : "personal",
                          room->locked};
    LiveRoom::Entry entry = LiveRoom::Entry::Present;
    std::string error;
    const auto id = participant.id;
    auto live = context_.registry.enter(facts, std::move(participant), wait,
                                        static_cast<std::size_t>(context_.rooms.settings().maxParticipants),
                                        entry, error);
    if (!live)
        return refuse(error, room->id);
    room_ = live;
    roomId_ = room->id;
    participantId_ = id;
    displayName_ = identity.displayName;
    audit("room.join", "success",
          AuditDetails()
              .add("participant", id)
              .add("name", identity.displayName)
              .add("guest", identity.guest)
              .add("via", invitation ? "invitation" : link ? "link" : "meeting_id")
              .add("role", moderator ? "moderator" : "participant")
              .add("waiting", entry == LiveRoom::Entry::Waiting)
              .text());
}

void SignalingSession::onDisconnect(const std::string& reason)
{
    if (!room_)
        return;
    if (context_.media)
        context_.media->removeParticipant(participantId_);
    context_.registry.leave(roomId_, participantId_, reason);
    // The last one out: a recording of the empty meeting ends here.
    if (context_.recordings && !context_.registry.find(roomId_)) {
        try {
            context_.recordings->stop(roomId_, "meeting empty");
        }
        catch (const std::exception& e) {
            logger().error("could not stop the recording of room %s: %s", std::to_string(roomId_),
                           std::string(e.what()));
        }
    }
    try {
        audit("room.leave", "success",
              AuditDetails().add("participant", participantId_).add("reason", reason).text());
    }
    catch (const std::exception& e) {
        // Called from the destructor too: report, do not throw.
        logger().error("could not audit leaving room %s: %s", std::to_string(roomId_),
                       std::string(e.what()));
    }
    room_.reset();
    participantId_.clear();
}

} // namespace parley::portal
