#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace parley::storage {

class Database;

enum class RoomKind
{
    Personal, ///< one per user, lives as long as the user
    Meeting,  ///< scheduled, one-time: joinable until it ends, deleted after retention
};

/// A room as stored. Times are Unix seconds.
struct Room
{
    std::int64_t id = 0;
    RoomKind kind = RoomKind::Personal;
    std::int64_t ownerId = 0;
    std::int64_t meetingId = 0; ///< 9 digits, unique among all rooms
    std::string title;
    std::string linkSecret; ///< the guest link; unique
    std::string pin;        ///< digits, "" when none
    bool waitingRoom = true;
    bool guestsAllowed = true;
    bool usersWait = false; ///< with waitingRoom, signed-in users wait too
    bool locked = false;
    std::optional<std::int64_t> startsAt; ///< meetings only
    std::optional<std::int64_t> endsAt;   ///< meetings only
    std::int64_t createdAt = 0;
    /// Days its recordings are kept; none means the server's recording.retention_days.
    std::optional<int> recordingRetentionDays;
};

/// A per-participant access key. Only its hash is stored.
struct Invitation
{
    std::int64_t id = 0;
    std::int64_t roomId = 0;
    std::string name; ///< who it is for, shown in the roster
    std::string createdBy;
    std::int64_t createdAt = 0;
    std::optional<std::int64_t> revokedAt;
    std::int64_t joins = 0;                  ///< times someone was admitted with the key
    std::optional<std::int64_t> lastJoinedAt;
};

/// Thrown when a room cannot be stored for a reason the caller can fix.
class RoomStoreError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// Rooms, their named moderators and invitations. Bound parameters only.
class RoomStore
{
public:
    /// Source of candidate meeting IDs (100000000 to 999999999). The default draws them from
    /// OpenSSL's RNG; tests pass a sequence to force collisions.
    using MeetingIdSource = std::function<std::int64_t()>;

    explicit RoomStore(Database& database, MeetingIdSource meetingIds = {});

    /// Inserts `room` with a fresh unique meeting ID (a colliding candidate is replaced by the
    /// next one; after 50 collisions in a row RoomStoreError). id, meetingId and createdAt are
    /// assigned. A second personal room for the same owner, or a link secret in use, throws
    /// RoomStoreError. `moderatorIds` are named its moderators in the same transaction: the
    /// room is stored with them or not at all.
    Room create(Room room, const std::vector<std::int64_t>& moderatorIds = {});

    std::optional<Room> findById(std::int64_t id);
    std::optional<Room> findPersonal(std::int64_t ownerId);
    std::optional<Room> findByLinkSecret(const std::string& linkSecret);
    std::optional<Room> findByMeetingId(std::int64_t meetingId);

    /// Rooms the user owns or is a named moderator of: personal room first, then meetings by
    /// start time.
    std::vector<Room> listForUser(std::int64_t userId);

    /// Every room (an admin's view) whose title, meeting ID or owner's name contains `text`,
    /// ignoring case (all rooms for ""), of `kind` when given: personal rooms first, then by
    /// title; `limit` of them from `offset`.
    std::vector<Room> search(std::string_view text, std::optional<RoomKind> kind, std::int64_t offset,
                             std::int64_t limit);
    std::int64_t count(std::string_view text, std::optional<RoomKind> kind);

    /// Writes title, PIN, the four flags and the times; false if there is no such room.
    bool update(const Room& room);
    bool setLinkSecret(std::int64_t id, const std::string& linkSecret);
    bool setLocked(std::int64_t id, bool locked);
    /// Ends a meeting now (ends_at = now when later than now); false if no such meeting.
    bool endMeeting(std::int64_t id, std::int64_t now);
    bool remove(std::int64_t id);

    /// Meetings that ended before `cutoff` are deleted (with their invitations); returns them.
    std::vector<Room> removeMeetingsEndedBefore(std::int64_t cutoff);

    /// User ids named as moderators (the owner is a moderator without being named).
    std::vector<std::int64_t> moderators(std::int64_t roomId);
    void setModerators(std::int64_t roomId, const std::vector<std::int64_t>& userIds);
    bool isModerator(std::int64_t roomId, std::int64_t userId);

    Invitation createInvitation(std::int64_t roomId, const std::string& name,
                                const std::string& keyHash, const std::string& createdBy,
                                std::int64_t now);
    std::vector<Invitation> invitations(std::int64_t roomId);
    /// The invitation with this key hash, revoked or not.
    std::optional<Invitation> findInvitationByKeyHash(const std::string& keyHash);
    /// Marks it revoked; false if it does not exist in that room or was already revoked.
    bool revokeInvitation(std::int64_t roomId, std::int64_t invitationId, std::int64_t now);
    /// Counts one admission with the invitation's key at `now`; false if it no longer exists.
    bool recordInvitationJoin(std::int64_t invitationId, std::int64_t now);

private:
    /// The room matching `condition` (a WHERE clause with one `?`, bound to `key`).
    template <typename Key>
    std::optional<Room> findOne(const std::string& condition, Key key);

    Database& database_;
    MeetingIdSource meetingIds_;
};

} // namespace parley::storage
