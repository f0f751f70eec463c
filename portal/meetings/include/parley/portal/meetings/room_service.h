#pragma once

#include <parley/portal/http/principal.h>
#include <parley/portal/http/unix_time.h>

#include <parley/portal/meetings/meeting_settings.h>
#include <parley/portal/meetings/room_policy.h>
#include <parley/storage/room_store.h>

#include <Poco/JSON/Array.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace parley::storage {
class AuditLog;
class Database;
} // namespace parley::storage

namespace parley::portal {

/// What a PATCH (or a new meeting) may set; absent fields stay as they are.
struct RoomChanges
{
    std::optional<std::string> title;
    std::optional<std::string> pin; ///< "" removes the PIN
    std::optional<bool> waitingRoom;
    std::optional<bool> guestsAllowed;
    std::optional<bool> usersWait;
    std::optional<bool> locked;
    std::optional<std::int64_t> startsAt;
    std::optional<std::int64_t> endsAt;
    std::optional<std::vector<std::string>> moderators; ///< usernames
    /// Days recordings of this room are kept; an empty inner value returns to the
    /// server's setting.
    std::optional<std::optional<int>> recordingRetentionDays;
};

/// A new invitation and its key, which is shown once and never stored.
struct IssuedInvitation
{
    storage::Invitation invitation;
    std::string key;
};

/// Rooms as the REST API and signaling see them: creation, settings under the admin's PIN
/// and room policy, link secrets, invitations, and who may manage what. Every change is
/// audited. Errors are HttpError with the API's codes (docs/api.md); setting an option the
/// room policy forces to the other value is 409 `policy_forced`.
class RoomService
{
public:
    RoomService(storage::Database& database, storage::AuditLog& audit, const MeetingSettings& settings);

    /// The user's personal room, created with default settings on first use.
    storage::Room personalRoom(const storage::User& owner, const std::string& address);
    /// Rooms the user owns or moderates (personal room included, created if missing).
    std::vector<storage::Room> roomsOf(const storage::User& user, const std::string& address);

    storage::Room createMeeting(const Principal& owner, const RoomChanges& draft,
                                const std::string& address);
    /// The room, if `who` may see and moderate it (owner, named moderator, admin); else 404.
    storage::Room manageable(std::int64_t roomId, const Principal& who);
    /// Owner or admin only (403 for a named moderator): moderators list, link, deletion.
    storage::Room ownedBy(std::int64_t roomId, const Principal& who);

    storage::Room update(std::int64_t roomId, const Principal& who, const RoomChanges& changes,
                         const std::string& address);
    storage::Room regenerateLink(std::int64_t roomId, const Principal& who, const std::string& address);
    void remove(std::int64_t roomId, const Principal& who, const std::string& address);

    IssuedInvitation issueInvitation(std::int64_t roomId, const Principal& who,
                                     const std::string& name, const std::string& address);
    std::vector<storage::Invitation> invitations(std::int64_t roomId, const Principal& who);
    void revokeInvitation(std::int64_t roomId, std::int64_t invitationId, const std::string& actor,
                          const std::string& address);
    /// Counts that someone was admitted with the invitation's key, now (not audited here: the
    /// join itself is).
    void recordInvitationJoin(std::int64_t invitationId);

    /// Usernames of the named moderators.
    std::vector<std::string> moderatorNames(std::int64_t roomId);
    /// Owner or named moderator (admins moderate only rooms they own or are named for).
    bool isModerator(const storage::Room& room, std::int64_t userId);

    /// Deletes meetings past retention; returns how many.
    std::size_t removeExpiredMeetings();

    /// The rooms a join credential leads to (docs/signaling.md); nullopt when it leads
    /// nowhere. A link is compared in constant time; an invitation key is looked up by its
    /// hash, revoked or not.
    std::optional<storage::Room> findById(std::int64_t roomId);
    std::optional<storage::Room> findByLink(const std::string& linkSecret);
    std::optional<storage::Room> findByMeetingId(std::int64_t meetingId);
    std::optional<storage::Invitation> findInvitationByKey(const std::string& key);

    /// Live-meeting changes a moderator makes over signaling (audited by the caller).
    void setLocked(std::int64_t roomId, bool locked);
    /// Marks a scheduled meeting ended now; a personal room is unchanged.
    void endMeeting(std::int64_t roomId);

    /// The file's settings (PIN policy and room policy: see pinPolicy() and roomPolicy()).
    const MeetingSettings& settings() const { return settings_; }

    /// The PIN lengths and room policy in force; the file's (pin_required: the PIN forced on)
    /// until an admin changes them. A change applies to the next request and the next join.
    PinPolicy pinPolicy() const;
    RoomPolicy roomPolicy() const;
    void setPolicy(const PinPolicy& pin, const RoomPolicy& rooms);

private:
    void checkPin(const std::string& pin, const PinPolicy& lengths, const RoomPolicy& policy) const;
    std::string randomPin(const PinPolicy& lengths) const;
    /// The ids of the users named; 400 for an unknown name or more than 50 names.
    std::vector<std::int64_t> namedModerators(const std::vector<std::string>& names);
    static Poco::JSON::Array moderatorList(const std::vector<std::string>& names);

    storage::Database& database_;
    storage::AuditLog& audit_;
    MeetingSettings settings_;
    storage::RoomStore rooms_;
    mutable std::mutex policyMutex_;
    PinPolicy pinPolicy_;
    RoomPolicy roomPolicy_;
};

} // namespace parley::portal
