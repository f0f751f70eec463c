#pragma once

#include "live_room.h"
#include "session_manager.h"

#include <Poco/JSON/Object.h>

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
    LoginThrottle& pinThrottle; ///< "room:<id>" as the account, the source address as address
    router::MediaRouter* media = nullptr; ///< nullptr: media offers are refused
    RecordingService* recordings = nullptr; ///< nullptr: recording is refused
};

/// The signaling protocol of one connection (docs/signaling.md): join with a session,
/// a link or an invitation key; then lobby, moderation, hand, and media relay messages.
/// Transport-agnostic: it reads text messages and answers through the sink.
class SignalingSession
{
public:
    SignalingSession(SignalingContext& context, std::optional<Principal> principal,
                     std::string address, std::shared_ptr<ParticipantSink> sink);
    ~SignalingSession();

    SignalingSession(const SignalingSession&) = delete;
    SignalingSession& operator=(const SignalingSession&) = delete;

    /// Handles one complete text message. Never throws for anything the client sent: bad
    /// messages are answered with an `error` message.
    void onMessage(const std::string& text);

    /// The connection is gone: leaves the room (idempotent).
    void onDisconnect(const std::string& reason);

    /// Whether the connection is in a room (present or waiting).
    bool inRoom() const { return room_ != nullptr; }

private:
    void dispatch(const std::string& type, const Poco::JSON::Object::Ptr& message);
    void join(const Poco::JSON::Object& message);
    void refuseJoin(const std::string& code, const std::string& text, std::int64_t roomId,
                    std::int64_t retryAfter = 0);
    void moderate(const std::string& type, const Poco::JSON::Object& message);
    void negotiateMedia(const Poco::JSON::Object& message);
    void sendError(const std::string& code, const std::string& text, const std::string& request);
    void audit(const std::string& action, const std::string& outcome, const std::string& details);
    std::string actor() const;

    SignalingContext& context_;
    std::optional<Principal> principal_;
    std::string address_;
    std::shared_ptr<ParticipantSink> sink_;
    std::shared_ptr<LiveRoom> room_;
    std::int64_t roomId_ = 0;
    std::string participantId_;
    std::string displayName_;
};

} // namespace parley::portal
