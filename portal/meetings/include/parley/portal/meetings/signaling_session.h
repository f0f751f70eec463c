#pragma once

#include <parley/portal/http/principal.h>
#include <parley/portal/meetings/live_room.h>

#include <parley/storage/audit_details.h>

#include <Poco/JSON/Object.h>

#include <functional>
#include <map>

#include <memory>
#include <optional>
#include <string>

namespace parley::storage {
class AuditLog;
}
namespace parley::router {
class MediaRouter;
}

namespace parley::portal {

class RecordingService;

class LoginThrottle;
class RoomRegistry;
class RoomService;

/// What every signaling session uses; owned by the server.
struct SignalingContext
{
    RoomService& rooms;
    RoomRegistry& registry;
    storage::AuditLog& audit;
    LoginThrottle& pinThrottle; ///< "room:<id>" as the subject, the source address as address
    LoginThrottle& meetingIdThrottle; ///< unknown meeting IDs: "user:<id>" as the subject
    router::MediaRouter* media = nullptr; ///< nullptr: media offers are refused
    RecordingService* recordings = nullptr; ///< nullptr: recording is refused
};

/// The signaling protocol of one connection (docs/signaling.md): join with a session,
/// a link or an invitation key; then lobby, moderation, hand, and media relay messages.
/// Transport-agnostic: it reads text messages and answers through the sink.
class SignalingSession
{
public:
    /// Longest participant id a message may name (ids are 22 characters).
    static constexpr std::size_t kMaxParticipantIdBytes = 64;

    SignalingSession(SignalingContext& context, std::optional<Principal> principal,
                     std::string address, std::shared_ptr<ParticipantSink> sink);
    /// A SIP call's session: `join` by meeting ID (no session needed), as `caller`.
    SignalingSession(SignalingContext& context, SipCaller caller, std::string address,
                     std::shared_ptr<ParticipantSink> sink);
    ~SignalingSession();

    SignalingSession(const SignalingSession&) = delete;
    SignalingSession& operator=(const SignalingSession&) = delete;

    /// Handles one complete text message. Never throws for anything the client sent: bad
    /// messages are answered with an `error` message.
    void onMessage(const std::string& text);

    /// The connection is gone: leaves the room (idempotent). When it was lost rather than
    /// closed on purpose (`connectionLost`), a present participant keeps its place for
    /// `signaling.reconnect_grace_seconds`, for a new connection to resume it.
    void onDisconnect(const std::string& reason, bool connectionLost = false);

    /// Whether the connection is in a room (present or waiting).
    bool inRoom() const { return room_ != nullptr; }

    /// Called by the connection about once a second: tells the page (`media.buffer`) when
    /// the buffering the router wants for what it receives has changed.
    void onTick();

private:
    /// One message type's handling; `message` has passed the common checks (a JSON object
    /// with a known type, and, unless the type is ping or join, sent from inside a room).
    using MessageHandler = void (SignalingSession::*)(const std::string& type,
                                                      const Poco::JSON::Object& message);
    struct MessageKind
    {
        MessageHandler handle;
        bool needsRoom;
    };
    /// Every message type the protocol knows, and what handles it.
    static const std::map<std::string, MessageKind, std::less<>>& messageKinds();

    void dispatch(const std::string& type, const Poco::JSON::Object& message);

    // signaling_session.cpp: the connection's own messages
    void onPing(const std::string& type, const Poco::JSON::Object& message);
    void onLeave(const std::string& type, const Poco::JSON::Object& message);
    void onHand(const std::string& type, const Poco::JSON::Object& message);
    void onMediaState(const std::string& type, const Poco::JSON::Object& message);
    void onStats(const std::string& type, const Poco::JSON::Object& message);
    // signaling_join.cpp
    void onJoin(const std::string& type, const Poco::JSON::Object& message);
    void refuseJoin(const std::string& code, std::int64_t roomId, std::int64_t retryAfter = 0);
    void onResume(const std::string& type, const Poco::JSON::Object& message);
    // signaling_media.cpp
    void onMedia(const std::string& type, const Poco::JSON::Object& message);
    void negotiateMedia(const Poco::JSON::Object& message);
    void onMediaView(const std::string& type, const Poco::JSON::Object& message);
    // signaling_moderation.cpp: what moderators do; each returns what to audit or refuse
    struct Moderation
    {
        std::string action;            ///< the audit action
        std::string error;             ///< a refusal code; empty when it was done
        storage::AuditDetails details; ///< for the audit entry on success
        bool answered = false;         ///< the handler has already answered and audited
    };
    void onModeration(const std::string& type, const Poco::JSON::Object& message);
    Moderation admitOrDeny(const std::string& type, const Poco::JSON::Object& message);
    Moderation mute(const std::string& type, const Poco::JSON::Object& message);
    Moderation kick(const std::string& type, const Poco::JSON::Object& message);
    Moderation promote(const std::string& type, const Poco::JSON::Object& message);
    Moderation lock(const std::string& type, const Poco::JSON::Object& message);
    Moderation record(const std::string& type, const Poco::JSON::Object& message);
    Moderation end(const std::string& type, const Poco::JSON::Object& message);

    /// Answers a room-level refusal code (not_joined, no such participant) to `type`.
    void sendRoomError(const std::string& error, const std::string& type);
    void sendError(const std::string& code, const std::string& text, const std::string& request);
    void audit(const std::string& action, const std::string& outcome, const std::string& details);
    std::string actor() const;

    SignalingContext& context_;
    std::optional<Principal> principal_;
    std::optional<SipCaller> sipCaller_;
    std::string address_;
    std::shared_ptr<ParticipantSink> sink_;
    std::shared_ptr<LiveRoom> room_;
    std::int64_t roomId_ = 0;
    std::string participantId_;
    std::string displayName_;
    std::map<std::string, int> bufferSent_; ///< the last media.buffer sent
};

} // namespace parley::portal
