#pragma once

#include <parley/portal/http/principal.h>
#include <parley/portal/meetings/participant.h>

#include <parley/storage/room_store.h>

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>

namespace parley::portal {

class LoginThrottle;
class RoomService;

/// What a `join` message asks for (docs/signaling.md): one credential (link, invitation key
/// or meeting ID) and a PIN. (A guest's name is read only for guests.)
struct JoinRequest
{
    std::optional<std::string> link;
    std::optional<std::string> key;
    std::optional<std::string> meetingId;
    std::string pin;

    /// Reads the fields; HttpError 400 `invalid_request` for a field of the wrong type or
    /// size, or when no credential is given.
    static JoinRequest parse(const Poco::JSON::Object& message);
    /// How the person came in, for the audit log.
    std::string via() const { return key ? "invitation" : link ? "link" : "meeting_id"; }
};

/// The decision on a join: a refusal code, or who enters which room and where they go.
struct Admission
{
    std::string refusal;          ///< empty: admitted; else the join error code
    std::int64_t roomId = 0;      ///< the room concerned (0 when the credential led nowhere)
    std::int64_t retryAfter = 0;  ///< seconds, for too_many_attempts
    bool pinLockedOut = false;    ///< this wrong PIN started a lockout (audit it once)
    std::optional<storage::Room> room;
    std::optional<storage::Invitation> invitation;
    Identity identity;
    bool moderator = false;
    bool waits = false;           ///< goes to the waiting room
};

/// The room policy for joining, without I/O of its own beyond the room store and the PIN
/// throttle: the credential leads to a room; a signed-in moderator always enters; others are
/// refused when the meeting has ended, guests are not allowed, the room is locked, or the PIN
/// is missing or wrong (wrong PINs throttled per room and per address). An invitation key
/// stands in for the PIN and the waiting room. Unknown meeting IDs are throttled per user and
/// per address, so a signed-in user cannot walk the ID space.
class JoinAdmission
{
public:
    JoinAdmission(RoomService& rooms, LoginThrottle& pinThrottle, LoginThrottle& meetingIdThrottle)
        : rooms_(rooms), pinThrottle_(pinThrottle), meetingIdThrottle_(meetingIdThrottle)
    {}

    /// Decides on the join `message` (as parsed into `request`) from `principal` (nullopt
    /// for a guest) at `address`. Throws HttpError 400 `invalid_name` for a guest without a
    /// printable name of 1 to 64 characters. A SIP call (`sip`) comes by meeting ID without
    /// a session, and is a guest to the room's policy.
    Admission decide(const JoinRequest& request, const Poco::JSON::Object& message,
                     const std::optional<Principal>& principal, const std::string& address,
                     const SipCaller* sip = nullptr);

private:
    /// Finds the room (and invitation) the credential leads to; sets a refusal if none.
    void findRoom(const JoinRequest& request, const std::optional<Principal>& principal,
                  const std::string& address, const SipCaller* sip, Admission& admission);
    /// `subject` is whose unknown meeting IDs are counted ("user:<id>", "sip:<address>").
    void findMeeting(const std::string& meetingId, const std::string& subject, const std::string& address,
                     Admission& admission);
    void identify(const Poco::JSON::Object& message, const std::optional<Principal>& principal,
                  Admission& admission);
    void checkPolicy(const JoinRequest& request, const std::string& address, Admission& admission);

    RoomService& rooms_;
    LoginThrottle& pinThrottle_;
    LoginThrottle& meetingIdThrottle_;
};

} // namespace parley::portal
