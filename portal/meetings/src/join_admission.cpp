#include "join_admission.h"

#include <parley/portal/accounts/login_throttle.h>
#include <parley/portal/http/constant_time.h>
#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_fields.h>
#include <parley/portal/http/text_validation.h>
#include <parley/portal/http/unix_time.h>
#include <parley/portal/meetings/room_service.h>

#include <Poco/NumberParser.h>

namespace parley::portal {
namespace {

constexpr std::size_t kMaxCredentialBytes = 128;
constexpr std::size_t kMaxNameCharacters = 64;
constexpr std::size_t kMeetingIdDigits = 9;

HttpError badRequest(const std::string& code, const std::string& message)
{
    return HttpError(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST, code, message);
}

} // namespace

JoinRequest JoinRequest::parse(const Poco::JSON::Object& message)
{
    JoinRequest request;
    request.link = optionalString(message, "link", kMaxCredentialBytes);
    request.key = optionalString(message, "key", kMaxCredentialBytes);
    request.meetingId = optionalString(message, "meetingId", 16);
    request.pin = optionalString(message, "pin", 32).value_or("");
    if (!request.link && !request.key && !request.meetingId)
        throw badRequest("invalid_request", "join needs one of link, key or meetingId");
    return request;
}

Admission JoinAdmission::decide(const JoinRequest& request, const Poco::JSON::Object& message,
                                const std::optional<Principal>& principal, const std::string& address,
                                const SipCaller* sip)
{
    Admission admission;
    findRoom(request, principal, address, sip, admission);
    if (!admission.refusal.empty())
        return admission;
    admission.identity.address = address;
    if (sip) {
        admission.identity.displayName = sip->displayName;
        admission.identity.sip = true;
    } else {
        identify(message, principal, admission);
    }
    checkPolicy(request, address, admission);
    return admission;
}

void JoinAdmission::findRoom(const JoinRequest& request, const std::optional<Principal>& principal,
                             const std::string& address, const SipCaller* sip, Admission& admission)
{
    // An invitation key wins over a link, a link over a meeting ID.
    if (request.key) {
        admission.invitation = rooms_.findInvitationByKey(*request.key);
        if (!admission.invitation || !(admission.room = rooms_.findById(admission.invitation->roomId))) {
            admission.refusal = "invalid_key";
            return;
        }
        admission.roomId = admission.room->id;
        if (admission.invitation->revokedAt)
            admission.refusal = "revoked_key";
    }
    else if (request.link) {
        if (!(admission.room = rooms_.findByLink(*request.link)))
            admission.refusal = "invalid_link";
        else
            admission.roomId = admission.room->id;
    }
    else if (sip)
        // Phones dial the meeting ID; unknown IDs are counted per calling address as for a
        // signed-in user, so that nobody walks the ID space by calling.
        findMeeting(*request.meetingId, "sip:" + address, address, admission);
    else if (!principal)
        admission.refusal = "sign_in_required";
    else
        findMeeting(*request.meetingId, "user:" + std::to_string(principal->user.id), address, admission);
}

void JoinAdmission::findMeeting(const std::string& text, const std::string& subject, const std::string& address,
                                Admission& admission)
{
    std::chrono::seconds wait{0};
    auto attempt = meetingIdThrottle_.admit(subject, address, wait);
    if (!attempt) {
        admission.refusal = "too_many_attempts";
        admission.retryAfter = wait.count();
        return;
    }
    Poco::Int64 meetingId = 0;
    if (text.size() != kMeetingIdDigits || text.find_first_not_of("0123456789") != std::string::npos ||
        !Poco::NumberParser::tryParse64(text, meetingId) || !(admission.room = rooms_.findByMeetingId(meetingId))) {
        admission.refusal = "unknown_meeting"; // the attempt stays counted
        return;
    }
    attempt->succeeded();
    admission.roomId = admission.room->id;
}

void JoinAdmission::identify(const Poco::JSON::Object& message, const std::optional<Principal>& principal,
                             Admission& admission)
{
    auto& identity = admission.identity;
    if (principal) {
        const auto& user = principal->user;
        identity.userId = user.id;
        identity.username = user.username;
        identity.displayName = user.displayName.empty() ? user.username : user.displayName;
        identity.guest = false;
        admission.moderator = rooms_.isModerator(*admission.room, user.id);
        identity.roomAuthority = user.id == admission.room->ownerId || principal->isAdmin();
    }
    else if (admission.invitation) {
        identity.displayName = admission.invitation->name;
    }
    else {
        const auto name = optionalString(message, "name", 256).value_or("");
        if (name.empty() || !isValidUtf8(name) || hasControlCharacters(name) ||
            utf8Length(name) > kMaxNameCharacters)
            throw badRequest("invalid_name", "a guest needs a name of 1 to 64 printable characters");
        identity.displayName = name;
    }
    if (admission.invitation)
        identity.invitationId = admission.invitation->id;
}

void JoinAdmission::checkPolicy(const JoinRequest& request, const std::string& address, Admission& admission)
{
    // The policy in force now, over what the room stored (it may predate the policy).
    const auto policy = rooms_.roomPolicy();
    const auto room = policy.applied(*admission.room);
    const auto& identity = admission.identity;
    const bool invited = admission.invitation.has_value();
    if (room.kind == storage::RoomKind::Meeting && room.endsAt && *room.endsAt <= unixNow()) {
        admission.refusal = "meeting_ended";
        return;
    }
    if (!admission.moderator) {
        if (identity.guest && !invited && !room.guestsAllowed) {
            admission.refusal = "guests_not_allowed";
            return;
        }
        if (room.locked) {
            admission.refusal = "room_locked";
            return;
        }
        if (!invited) {
            if (room.pin.empty()) {
                if (identity.guest && policy.pin.mode == OptionMode::ForcedOn) {
                    admission.refusal = "pin_not_set";
                    return;
                }
            }
            else {
                // Counted before the PIN is compared: parallel guesses get no more tries.
                const auto subject = "room:" + std::to_string(room.id);
                std::chrono::seconds wait{0};
                auto attempt = pinThrottle_.admit(subject, address, wait);
                if (!attempt) {
                    admission.refusal = "too_many_attempts";
                    admission.retryAfter = wait.count();
                    return;
                }
                if (request.pin.empty()) {
                    attempt->discount();
                    admission.refusal = "pin_required";
                    return;
                }
                if (!equalConstantTime(request.pin, room.pin)) {
                    admission.refusal = "pin_incorrect";
                    admission.pinLockedOut = attempt->startedLockout();
                    return;
                }
                attempt->succeeded();
            }
        }
    }
    admission.waits = !admission.moderator && !invited && room.waitingRoom && (identity.guest || room.usersWait);
}

} // namespace parley::portal
