#include <parley/portal/meetings/signaling_session.h>

#include <parley/log/log_event.h>

#include "room_departure.h"
#include "signaling_texts.h"

#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_fields.h>
#include <parley/portal/http/json_limits.h>
#include <parley/portal/meetings/room_registry.h>
#include <parley/portal/meetings/room_service.h>
#include <parley/portal/recordings/recording_service.h>

#include <parley/router/media_router.h>
#include <parley/storage/audit_log.h>

#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

namespace parley::portal {
namespace {

constexpr std::size_t kMaxTypeBytes = 32;

/// What one signaling message may hold, checked before Poco's parser builds it (at about
/// 850 bytes per value, a 64 KiB message of empty objects would otherwise cost 18 MB).
/// The largest message a client sends is a media offer: an SDP string of up to 256 KiB
/// (up to twice that once its CRLFs are escaped) and two maps of at most 64 entries
/// (signaling_media.cpp), some 140 values two levels deep. The byte limit matters only
/// where an admin raised signaling.max_message_bytes above it.
constexpr JsonLimits kSignalingJsonLimits{
    .maxBytes = 1024 * 1024,
    .maxDepth = 8,
    .maxValues = 512,
};

Poco::Logger& logger()
{
    return Poco::Logger::get("portal.signaling");
}

} // namespace

const std::map<std::string, SignalingSession::MessageKind, std::less<>>& SignalingSession::messageKinds()
{
    static const std::map<std::string, MessageKind, std::less<>> kinds{
        {"ping", {&SignalingSession::onPing, false}},
        {"join", {&SignalingSession::onJoin, false}},
        {"resume", {&SignalingSession::onResume, false}},
        {"leave", {&SignalingSession::onLeave, true}},
        {"hand.raise", {&SignalingSession::onHand, true}},
        {"hand.lower", {&SignalingSession::onHand, true}},
        {"media.state", {&SignalingSession::onMediaState, true}},
        {"stats", {&SignalingSession::onStats, true}},
        {"media.offer", {&SignalingSession::onMedia, true}},
        {"media.answer", {&SignalingSession::onMedia, true}},
        {"media.candidate", {&SignalingSession::onMedia, true}},
        {"media.view", {&SignalingSession::onMediaView, true}},
        {"admit", {&SignalingSession::onModeration, true}},
        {"deny", {&SignalingSession::onModeration, true}},
        {"mute", {&SignalingSession::onModeration, true}},
        {"kick", {&SignalingSession::onModeration, true}},
        {"promote", {&SignalingSession::onModeration, true}},
        {"lock", {&SignalingSession::onModeration, true}},
        {"unlock", {&SignalingSession::onModeration, true}},
        {"recording.start", {&SignalingSession::onModeration, true}},
        {"recording.stop", {&SignalingSession::onModeration, true}},
        {"end", {&SignalingSession::onModeration, true}},
    };
    return kinds;
}

SignalingSession::SignalingSession(SignalingContext& context, std::optional<Principal> principal,
                                   std::string address, std::shared_ptr<ParticipantSink> sink)
    : context_(context), principal_(std::move(principal)), address_(std::move(address)),
      sink_(std::move(sink))
{}

SignalingSession::SignalingSession(SignalingContext& context, SipCaller caller, std::string address,
                                   std::shared_ptr<ParticipantSink> sink)
    : context_(context), sipCaller_(std::move(caller)), address_(std::move(address)), sink_(std::move(sink))
{}

SignalingSession::~SignalingSession()
{
    onDisconnect("disconnected");
}

std::string SignalingSession::actor() const
{
    if (sipCaller_)
        return callerActor(sipCaller_->endpoint);
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

void SignalingSession::sendRoomError(const std::string& error, const std::string& type)
{
    sendError(error, roomErrorText(error), type);
}

void SignalingSession::onMessage(const std::string& text)
{
    if (const auto check = checkJsonLimits(text, kSignalingJsonLimits); !check.ok()) {
        if (check.limitExceeded())
            sendError("json_limit_exceeded", check.message, "");
        else
            sendError("invalid_json", "the message is not valid JSON", "");
        return;
    }
    Poco::JSON::Object::Ptr message;
    try {
        Poco::JSON::Parser parser;
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
        type = requireString(*message, "type", kMaxTypeBytes);
    }
    catch (const HttpError&) {
        sendError("invalid_message", "a message is a JSON object with a string \"type\"", "");
        return;
    }
    try {
        dispatch(type, *message);
    }
    catch (const HttpError& e) {
        sendError(e.code(), e.what(), type);
    }
    catch (const Poco::Exception& e) {
        log::error(logger(), "signaling.message_failed", "signaling message " + type + " failed: " + e.displayText(),
                   {{"type", type}, {"error", e.displayText()}});
        sendError("internal_error", "the server could not handle this message", type);
    }
    catch (const std::exception& e) {
        log::error(logger(), "signaling.message_failed", "signaling message " + type + " failed: " + e.what(),
                   {{"type", type}, {"error", e.what()}});
        sendError("internal_error", "the server could not handle this message", type);
    }
}

void SignalingSession::dispatch(const std::string& type, const Poco::JSON::Object& message)
{
    const auto& kinds = messageKinds();
    const auto kind = kinds.find(type);
    if (kind == kinds.end()) {
        sendError("unknown_type", "unknown message type", type.substr(0, kMaxTypeBytes));
        return;
    }
    // A connection whose participant another connection has resumed is out of the room
    // (the server is closing it with 4409).
    if (kind->second.needsRoom && room_ && !room_->holds(participantId_, sink_.get())) {
        room_.reset();
        participantId_.clear();
    }
    if (kind->second.needsRoom && !room_) {
        sendError("not_joined", "join a room first", type);
        return;
    }
    (this->*kind->second.handle)(type, message);
}

void SignalingSession::onPing(const std::string&, const Poco::JSON::Object&)
{
    sink_->send(R"({"type":"pong"})");
}

void SignalingSession::onLeave(const std::string&, const Poco::JSON::Object&)
{
    onDisconnect("left");
    sink_->close(1000, "left");
}

void SignalingSession::onHand(const std::string& type, const Poco::JSON::Object&)
{
    const auto error = room_->setHand(participantId_, type == "hand.raise");
    if (!error.empty())
        sendRoomError(error, type);
}

void SignalingSession::onMediaState(const std::string& type, const Poco::JSON::Object& message)
{
    const auto error = room_->setOwnMedia(participantId_, optionalBool(message, "audioMuted"),
                                          optionalBool(message, "videoMuted"));
    if (!error.empty())
        sendRoomError(error, type);
}

void SignalingSession::onStats(const std::string& type, const Poco::JSON::Object& message)
{
    // The browser's own measure of its round trip to the router (ICE consent checks): the
    // router, an ICE-lite agent, has none of its own.
    constexpr double kMaxRoundTripMs = 60000;
    const auto value = message.get("roundTripMs");
    const double milliseconds = value.isNumeric() ? value.convert<double>() : -1;
    if (!(milliseconds >= 0 && milliseconds <= kMaxRoundTripMs)) {
        sendError("invalid_message", "roundTripMs must be a number of milliseconds from 0 to 60000", type);
        return;
    }
    const auto error = room_->setRoundTrip(participantId_, milliseconds);
    if (!error.empty())
        sendRoomError(error, type);
}

void SignalingSession::onDisconnect(const std::string& reason, bool connectionLost)
{
    if (!room_)
        return;
    const auto grace = connectionLost ? context_.rooms.settings().signaling.reconnectGrace : std::chrono::seconds(0);
    const auto departure = context_.registry.depart(roomId_, participantId_, sink_.get(), reason, grace);
    if (departure == LiveRoom::Departure::Held)
        log::info(logger(), "participant.connection_lost",
                  "participant " + participantId_ + " of room " + std::to_string(roomId_) + " lost its connection (" +
                      reason + "); kept for " + std::to_string(grace.count()) + " s",
                  {{"participant", participantId_}, {"room", roomId_}, {"reason", reason}, {"grace_s", grace.count()}});
    // Removed now, or before (kicked, ended): its media goes, and the leave is on record.
    // Held or resumed elsewhere: its media stays for the connection that resumes it.
    if (departure == LiveRoom::Departure::Removed || departure == LiveRoom::Departure::Gone)
        finishDeparture(context_, roomId_, participantId_, actor(), address_, reason);
    room_.reset();
    participantId_.clear();
}

} // namespace parley::portal
