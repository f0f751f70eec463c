#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace parley::portal {

/// Where a participant's messages go: the signaling connection it joined on. Both calls
/// only queue and never block, so a room may call them while holding its lock.
class ParticipantSink
{
public:
    virtual ~ParticipantSink() = default;
    /// Queues one JSON text message.
    virtual void send(const std::string& text) = 0;
    /// Sends what is queued, then closes the connection with `code` (RFC 6455 close codes,
    /// 4000-4999 for ours; docs/signaling.md).
    virtual void close(int code, const std::string& reason) = 0;
};

/// Who a participant is. Users are signed in; guests came with a link or an invitation.
struct Identity
{
    std::optional<std::int64_t> userId; ///< set for users
    std::string username;               ///< "" for guests
    std::string displayName;
    bool guest = true;
    std::optional<std::int64_t> invitationId; ///< joined with this invitation key
    std::string address;                      ///< source address, for the audit log
    /// The room's owner or an admin: only another such person may remove them, never a
    /// moderator they (or anyone) promoted for the meeting.
    bool roomAuthority = false;
    /// Joined by SIP (a meeting-room system or desk phone through Parley's SIP bridge).
    bool sip = false;
};

/// Who is calling, for a SIP call's signaling session: the SIP bridge joins for the caller,
/// by meeting ID, as a guest (PIN, lobby and lock apply as to guests in the browser).
struct SipCaller
{
    /// The endpoint's username when it authenticated with its credentials; none for a guest.
    std::optional<std::string> endpoint;
    std::string displayName; ///< the endpoint's name as the admin set it, or the caller's
};

/// How the audit log names a SIP caller: "sip:<endpoint>", or "sip-guest".
inline std::string callerActor(const std::optional<std::string>& endpoint)
{
    return endpoint ? "sip:" + *endpoint : std::string("sip-guest");
}

enum class ParticipantRole
{
    Moderator,
    Participant,
};

/// A media track a participant sends (published) or receives (subscribed). The router
/// fills these in when it attaches media; signaling only shows them in the roster.
struct MediaTrack
{
    std::string id;   ///< stable within the meeting, e.g. the publisher's mid
    std::string kind; ///< "audio", "video" or "screen"
    std::string publisherId; ///< participant id of the sender
    std::string codec; ///< as it is sent ("opus", "VP8", "H264"); "" when not known
};

/// One person in a live room (present or waiting).
struct Participant
{
    std::string id; ///< random, unguessable, unique in the room
    Identity identity;
    ParticipantRole role = ParticipantRole::Participant;
    bool handRaised = false;
    bool audioMuted = false;              ///< by themselves
    bool videoMuted = false;              ///< by themselves
    bool audioMutedByModerator = false;   ///< enforced: the router drops this audio
    bool videoMutedByModerator = false;   ///< enforced: the router drops this video
    std::vector<MediaTrack> published;
    std::vector<MediaTrack> subscribed;
    std::shared_ptr<ParticipantSink> sink;
    /// SHA-256 (hex) of the resume token last sent to it in `joined`; empty before.
    std::string resumeTokenHash;
    /// Its connection was lost: it keeps its place (and id, role, mutes) until
    /// `reconnectDeadline`, unless a new connection resumes it first.
    bool reconnecting = false;
    std::chrono::steady_clock::time_point reconnectDeadline{};
    /// When it arrived (Unix seconds), in the lobby or in the meeting.
    std::int64_t arrivedAt = 0;
    /// The round trip its browser last measured to the media router (`stats` message).
    std::optional<double> roundTripMs;

    bool isModerator() const { return role == ParticipantRole::Moderator; }
};

} // namespace parley::portal
