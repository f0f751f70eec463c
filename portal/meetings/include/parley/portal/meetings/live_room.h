#pragma once

#include <parley/portal/meetings/participant.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace parley::portal {

/// The facts about a stored room that the live meeting shows to participants.
struct RoomFacts
{
    std::int64_t roomId = 0;
    std::int64_t meetingId = 0;
    std::string title;
    std::string kind; ///< "personal" or "meeting"
    bool locked = false;
};

/// A meeting in progress: who is present, who waits in the lobby, and what moderators
/// changed. Every method is thread-safe; messages to participants are queued on their
/// sinks while the room's lock is held, so every participant sees changes in one order.
///
/// Moderation methods take the acting participant's id and return "" on success or an
/// error code (docs/signaling.md): `not_moderator`, `unknown_participant`, `not_waiting`.
class LiveRoom
{
public:
    explicit LiveRoom(RoomFacts facts);

    enum class Entry
    {
        Present,
        Waiting,
    };

    /// Adds a participant, in the lobby when `wait`. Returns "" and tells everyone, or
    /// `room_full` when `capacity` people are already in, `removed` when this user was
    /// kicked from this meeting, `room_locked` when the room was locked (moderators excepted)
    /// or `meeting_ended` when it was ended since the caller checked.
    std::string enter(Participant participant, bool wait, std::size_t capacity, Entry& entry);

    /// Removes a present or waiting participant and tells the others; false if absent.
    bool leave(const std::string& id, const std::string& reason);

    /// What became of a participant whose connection ended (see depart).
    enum class Departure
    {
        Removed,  ///< it left the room (as leave); the others were told
        Held,     ///< it keeps its place for the grace period, marked reconnecting
        Gone,     ///< it was no longer in the room (kicked, ended, expired)
        Replaced, ///< another connection has resumed it: nothing happened
    };
    /// The connection `sink` of participant `id` ended. A present participant whose
    /// connection was lost (`grace` positive) is held: marked reconnecting (the others get
    /// participant.updated), its messages dropped, until a resume or the end of the grace
    /// (expireReconnecting). Otherwise, and always in the lobby, it is removed as by leave.
    /// Nothing happens when `sink` is no longer the participant's connection.
    Departure depart(const std::string& id, const ParticipantSink* sink, const std::string& reason,
                     std::chrono::steady_clock::duration grace);

    /// Gives the present participant whose last `joined` carried `token` to the connection
    /// `sink`: same id, role, hand and mutes; its tracks are cleared and `resetMedia` runs
    /// with it under the room's lock (to release its media in the router and re-apply the
    /// moderator's mutes, so that no mute or negotiation can slip in between; the page
    /// negotiates anew). A connection that still held it is closed with 4409.
    /// The others get participant.updated, the participant a new `joined` with a new token
    /// (each token works once). `userId` is the new connection's signed-in user: a user's
    /// place can be resumed only by the same user. Returns "" and fills `resumed`, or
    /// `invalid_token` (unknown, used, expired, or another user's).
    std::string resume(const std::string& token, std::optional<std::int64_t> userId,
                       std::shared_ptr<ParticipantSink> sink, Participant& resumed,
                       const std::function<void(const Participant&)>& resetMedia = {});

    /// Runs `action` under the room's lock if `sink` is still the connection of the present
    /// participant `id`, and says whether it ran. Media negotiation runs this way, so that a
    /// connection replaced by a resume cannot install its transport for the participant.
    bool whileHolding(const std::string& id, const ParticipantSink* sink, const std::function<void()>& action);

    /// Removes the reconnecting participants whose grace ended by `now` and tells the others
    /// (participant.left, reason `connection_lost`). Returns them (to release their media).
    std::vector<Participant> expireReconnecting(std::chrono::steady_clock::time_point now);

    /// Whether `sink` is (still) the connection of participant `id`, present or waiting.
    bool holds(const std::string& id, const ParticipantSink* sink) const;

    bool empty() const;
    std::size_t presentCount() const;
    std::size_t waitingCount() const;
    /// Whether `id` is present (not waiting) and a moderator.
    bool isPresentModerator(const std::string& id) const;

    std::string admit(const std::string& actor, const std::string& target);
    std::string deny(const std::string& actor, const std::string& target);
    /// Mutes (or lets unmute) `kind` ("audio" or "video") of one participant, or of everyone
    /// but the actor when `target` is empty. `enforce` is called for each participant whose
    /// state changed, under the room's lock, so the media router sees changes in the same
    /// order as the roster (it must not call back into the room).
    using MuteEnforcer = std::function<void(const std::string& participantId, bool muted)>;
    std::string muteByModerator(const std::string& actor, const std::string& target,
                                const std::string& kind, bool muted, const MuteEnforcer& enforce = {});
    /// Whether `id` is present (admitted), not waiting.
    bool isPresent(const std::string& id) const;
    /// Removes the target; fills `removed` with who it was (to revoke their key and audit).
    std::string kick(const std::string& actor, const std::string& target,
                     std::optional<Participant>& removed);
    std::string promote(const std::string& actor, const std::string& target);
    /// Tells everyone the room's lock changed (the caller stores it).
    void announceLocked(bool locked);
    /// Tells everyone a recording started (`since`, Unix seconds) or stopped (nullopt);
    /// participants who join later learn it from `joined`.
    /// `reason` says why the server stopped it on its own (the volume filled up, ...).
    void announceRecording(std::optional<std::int64_t> since, const std::string& by,
                           const std::string& reason = {});
    /// Ends the meeting for everyone, lobby included; the room is empty afterwards and
    /// refuses further entries. Returns the ids removed (to release their media).
    std::vector<std::string> endForAll(const std::string& reason);
    /// Removes a present or waiting participant on an admin's word (not a participant's, so
    /// nobody's authority is checked); tells them (`removed`, reason `removed_by_admin`) and
    /// the others. A user removed so cannot come back to this meeting. Returns who it was,
    /// or nothing when absent.
    std::optional<Participant> removeByAdmin(const std::string& target);
    /// Removes whoever joined with this invitation (it was revoked); returns their ids.
    std::vector<std::string> removeInvitee(std::int64_t invitationId);
    /// The invitations whose holders are present now (not those waiting).
    std::set<std::int64_t> presentInvitations() const;
    /// Closes every connection (server shutdown).
    void closeAll(int code, const std::string& reason);

    std::string setHand(const std::string& actor, bool raised);
    std::string setOwnMedia(const std::string& actor, std::optional<bool> audioMuted,
                            std::optional<bool> videoMuted);
    /// Forwards a media negotiation message from one present participant to another,
    /// adding `from`.
    std::string relay(const std::string& from, const std::string& to, Poco::JSON::Object::Ptr message);

    /// A present participant's published and subscribed tracks (for the router); with
    /// `sink`, only while that is still its connection.
    std::string setTracks(const std::string& id, std::vector<MediaTrack> published,
                          std::vector<MediaTrack> subscribed,
                          const ParticipantSink* sink = nullptr);

    /// Stores the round trip a present participant's browser reports.
    std::string setRoundTrip(const std::string& actor, double milliseconds);

    /// The room as an admin sees it: copies, without the connections.
    struct Snapshot
    {
        RoomFacts facts;
        std::int64_t startedAt = 0; ///< Unix seconds: when the first person arrived
        std::optional<std::int64_t> recordingSince;
        std::vector<Participant> present;
        std::vector<Participant> waiting;
    };
    Snapshot snapshot() const;

    /// The present participants' display names by participant id (for a recording).
    std::map<std::string, std::string> displayNames() const;

    const RoomFacts& facts() const { return facts_; }

private:
    Participant* findPresent(const std::string& id);
    Participant* findWaiting(const std::string& id);
    /// Where participant `id` is: its list (present or waiting) and index there.
    std::optional<std::pair<std::vector<Participant>&, std::size_t>> find(const std::string& id);
    /// Tells the participant at `at` it was removed (`reason`), closes its connection (4403,
    /// `closeReason`), keeps a user from coming back, takes it out and tells the others.
    Participant expel(std::pair<std::vector<Participant>&, std::size_t> at, const std::string& reason,
                      const std::string& closeReason);
    std::string requireModerator(const std::string& actor);
    void broadcast(const Poco::JSON::Object& message, const std::string& except = {});
    void sendToModerators(const Poco::JSON::Object& message);
    Poco::JSON::Array::Ptr lobbyList() const;
    void announceLobby();
    void announceUpdated(const Participant& participant);
    void sendJoined(Participant& participant);
    void removeAt(std::vector<Participant>& list, std::size_t index, const std::string& reason,
                  bool wasPresent);

    RoomFacts facts_;
    std::int64_t startedAt_;
    mutable std::mutex mutex_;
    std::vector<Participant> present_;
    std::vector<Participant> waiting_;
    std::set<std::int64_t> kickedUsers_;
    bool ended_ = false;
    std::optional<std::int64_t> recordingSince_;
};

/// A participant as the roster shows it.
Poco::JSON::Object::Ptr participantJson(const Participant& participant);
/// One JSON text message.
std::string messageText(const Poco::JSON::Object& message);

} // namespace parley::portal
