#include <parley/portal/meetings/room_service.h>

#include <parley/portal/http/constant_time.h>
#include <parley/portal/http/secret_token.h>

#include <parley/portal/http/http_error.h>
#include <parley/portal/http/text_validation.h>
#include <parley/storage/audit_details.h>

#include <parley/storage/audit_log.h>
#include <parley/storage/user_store.h>

#include <openssl/rand.h>

#include <chrono>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

constexpr std::size_t kMaxTitleCharacters = 200;
constexpr std::size_t kMaxModerators = 50;

HttpError invalid(const std::string& message)
{
    return HttpError(Status::HTTP_BAD_REQUEST, "invalid_request", message);
}

HttpError notFound()
{
    return HttpError(Status::HTTP_NOT_FOUND, "not_found", "no such room");
}

std::string target(const storage::Room& room)
{
    return "room:" + std::to_string(room.id);
}

void checkTitle(const std::string& title)
{
    if (title.empty() || !isValidUtf8(title) || hasControlCharacters(title) ||
        utf8Length(title) > kMaxTitleCharacters)
        throw invalid("title must be 1 to 200 printable characters");
}

HttpError policyForced(const std::string& option, bool forcedValue)
{
    return HttpError(Status::HTTP_CONFLICT, "policy_forced",
                     "the server's room policy turns '" + option + "' " + (forcedValue ? "on" : "off") +
                         " for every room");
}

/// A value asked for an option; refused when the policy forces the other value.
bool chosen(const std::optional<bool>& asked, const OptionRule& rule, const char* option)
{
    if (asked && rule.forced() && *asked != *rule.forced())
        throw policyForced(option, *rule.forced());
    return asked.value_or(rule.initial());
}

/// Admins manage others' rooms only from the addresses the `[access]` admin lists permit.
bool isAdmin(const Principal& who)
{
    return who.isAdmin();
}

} // namespace

RoomService::RoomService(storage::Database& database, storage::AuditLog& audit,
                         const MeetingSettings& settings)
    : database_(database), audit_(audit), settings_(settings), rooms_(database), pinPolicy_(settings.pin),
      roomPolicy_(settings.roomPolicy)
{
    roomPolicy_.pin.mode = settings.pin.required ? OptionMode::ForcedOn : OptionMode::Optional;
}

PinPolicy RoomService::pinPolicy() const
{
    std::lock_guard lock(policyMutex_);
    return pinPolicy_;
}

RoomPolicy RoomService::roomPolicy() const
{
    std::lock_guard lock(policyMutex_);
    return roomPolicy_;
}

void RoomService::setPolicy(const PinPolicy& pin, const RoomPolicy& rooms)
{
    std::lock_guard lock(policyMutex_);
    pinPolicy_ = pin;
    pinPolicy_.required = rooms.pin.mode == OptionMode::ForcedOn;
    roomPolicy_ = rooms;
}

void RoomService::checkPin(const std::string& pin, const PinPolicy& lengths, const RoomPolicy& policy) const
{
    if (pin.empty()) {
        if (policy.pin.mode == OptionMode::ForcedOn)
            throw HttpError(Status::HTTP_BAD_REQUEST, "pin_required",
                            "the server's policy requires every room to have a PIN");
        return;
    }
    if (policy.pin.mode == OptionMode::ForcedOff)
        throw policyForced("pin", false);
    if (pin.find_first_not_of("0123456789") != std::string::npos ||
        pin.size() < static_cast<std::size_t>(lengths.minLength) ||
        pin.size() > static_cast<std::size_t>(lengths.maxLength))
        throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_pin",
                        "a PIN is " + std::to_string(lengths.minLength) + " to " +
                            std::to_string(lengths.maxLength) + " digits");
}

std::string RoomService::randomPin(const PinPolicy& lengths) const
{
    std::string pin;
    while (pin.size() < static_cast<std::size_t>(lengths.minLength)) {
        unsigned char byte = 0;
        if (RAND_bytes(&byte, 1) != 1)
            throw std::runtime_error("the random generator failed");
        if (byte < 250) // 250 = 25 * 10: keeps the digits equally likely
            pin += static_cast<char>('0' + byte % 10);
    }
    return pin;
}

storage::Room RoomService::personalRoom(const storage::User& owner, const std::string& address)
{
    if (auto room = rooms_.findPersonal(owner.id))
        return *room;
    storage::Room room;
    room.kind = storage::RoomKind::Personal;
    room.ownerId = owner.id;
    room.title = (owner.displayName.empty() ? owner.username : owner.displayName) + "'s room";
    if (utf8Length(room.title) > kMaxTitleCharacters)
        room.title = owner.username + "'s room";
    room.linkSecret = randomToken();
    const auto lengths = pinPolicy();
    const auto policy = roomPolicy();
    room.pin = policy.pin.initial() ? randomPin(lengths) : "";
    room.waitingRoom = policy.waitingRoom.initial();
    room.guestsAllowed = policy.guestsAllowed.initial();
    room.usersWait = policy.usersWait.initial();
    try {
        room = rooms_.create(room);
    }
    catch (const storage::RoomStoreError&) {
        // Another request created it a moment ago.
        if (auto existing = rooms_.findPersonal(owner.id))
            return *existing;
        throw;
    }
    audit_.append({owner.username, address, "room.create", target(room), "success",
                   storage::AuditDetails().add("kind", "personal").add("meetingId", room.meetingId).text()});
    return room;
}

std::vector<storage::Room> RoomService::roomsOf(const storage::User& user, const std::string& address)
{
    personalRoom(user, address);
    return rooms_.listForUser(user.id);
}

storage::Room RoomService::createMeeting(const Principal& owner, const RoomChanges& draft,
                                         const std::string& address)
{
    storage::Room room;
    room.kind = storage::RoomKind::Meeting;
    room.ownerId = owner.user.id;
    room.title = draft.title.value_or("");
    checkTitle(room.title);
    const auto lengths = pinPolicy();
    const auto policy = roomPolicy();
    room.pin = draft.pin.value_or(policy.pin.initial() ? randomPin(lengths) : "");
    checkPin(room.pin, lengths, policy);
    room.waitingRoom = chosen(draft.waitingRoom, policy.waitingRoom, "waitingRoom");
    room.guestsAllowed = chosen(draft.guestsAllowed, policy.guestsAllowed, "guestsAllowed");
    room.usersWait = chosen(draft.usersWait, policy.usersWait, "usersWait");
    room.locked = draft.locked.value_or(false);
    if (!draft.startsAt || !draft.endsAt)
        throw invalid("a meeting needs startsAt and endsAt");
    if (*draft.endsAt <= *draft.startsAt)
        throw invalid("endsAt must be after startsAt");
    if (*draft.endsAt <= unixNow())
        throw invalid("endsAt is in the past");
    room.startsAt = draft.startsAt;
    room.endsAt = draft.endsAt;
    room.linkSecret = randomToken();
    // Everything is checked before anything is stored: a refused meeting leaves no trace.
    const auto moderatorIds = draft.moderators ? namedModerators(*draft.moderators) : std::vector<std::int64_t>{};
    room = rooms_.create(room, moderatorIds);
    storage::AuditDetails details;
    details.add("meetingId", room.meetingId).add("title", room.title).add("startsAt", *room.startsAt).add("endsAt", *room.endsAt);
    if (draft.moderators)
        details.add("moderators", moderatorList(*draft.moderators));
    audit_.append({owner.user.username, address, "meeting.create", target(room), "success", details.text()});
    return room;
}

std::vector<std::int64_t> RoomService::namedModerators(const std::vector<std::string>& names)
{
    if (names.size() > kMaxModerators)
        throw invalid("at most 50 moderators may be named");
    storage::UserStore users(database_);
    std::vector<std::int64_t> ids;
    for (const auto& name : names) {
        const auto user = users.findByUsername(name);
        if (!user)
            throw invalid("no user named '" + name.substr(0, 64) + "'");
        ids.push_back(user->id);
    }
    return ids;
}

Poco::JSON::Array RoomService::moderatorList(const std::vector<std::string>& names)
{
    Poco::JSON::Array list;
    for (const auto& name : names)
        list.add(name);
    return list;
}

bool RoomService::isModerator(const storage::Room& room, std::int64_t userId)
{
    return room.ownerId == userId || rooms_.isModerator(room.id, userId);
}

storage::Room RoomService::manageable(std::int64_t roomId, const Principal& who)
{
    auto room = rooms_.findById(roomId);
    if (!room || !(isAdmin(who) || isModerator(*room, who.user.id)))
        throw notFound();
    return *room;
}

storage::Room RoomService::ownedBy(std::int64_t roomId, const Principal& who)
{
    auto room = manageable(roomId, who);
    if (room.ownerId != who.user.id && !isAdmin(who))
        throw HttpError(Status::HTTP_FORBIDDEN, "forbidden",
                        "only the room's owner (or an admin) may do this");
    return room;
}

storage::Room RoomService::update(std::int64_t roomId, const Principal& who,
                                  const RoomChanges& changes, const std::string& address)
{
    auto room = changes.moderators ? ownedBy(roomId, who) : manageable(roomId, who);
    storage::AuditDetails details;
    const auto policy = roomPolicy();
    if (changes.title) {
        checkTitle(*changes.title);
        room.title = *changes.title;
        details.add("title", room.title);
    }
    if (changes.pin) {
        checkPin(*changes.pin, pinPolicy(), policy);
        room.pin = *changes.pin;
        details.add("pin", room.pin.empty() ? "removed" : "changed");
    }
    auto flag = [&](const std::optional<bool>& value, bool& field, const char* name, const OptionRule& rule) {
        if (value) {
            field = chosen(value, rule, name);
            details.add(name, field);
        }
    };
    flag(changes.waitingRoom, room.waitingRoom, "waitingRoom", policy.waitingRoom);
    flag(changes.guestsAllowed, room.guestsAllowed, "guestsAllowed", policy.guestsAllowed);
    flag(changes.usersWait, room.usersWait, "usersWait", policy.usersWait);
    flag(changes.locked, room.locked, "locked", OptionRule{});
    if (changes.startsAt || changes.endsAt) {
        if (room.kind != storage::RoomKind::Meeting)
            throw invalid("a personal room has no start or end time");
        room.startsAt = changes.startsAt.value_or(*room.startsAt);
        room.endsAt = changes.endsAt.value_or(*room.endsAt);
        if (*room.endsAt <= *room.startsAt)
            throw invalid("endsAt must be after startsAt");
        details.add("startsAt", *room.startsAt).add("endsAt", *room.endsAt);
    }
    if (changes.recordingRetentionDays) {
        const auto& days = *changes.recordingRetentionDays;
        if (days && (*days < 0 || *days > 36500))
            throw invalid("recordingRetentionDays must be 0 to 36500 (0 keeps recordings), or null");
        room.recordingRetentionDays = days;
        if (days)
            details.add("recordingRetentionDays", *days);
        else
            details.add("recordingRetentionDays", "server default");
    }
    std::vector<std::int64_t> moderatorIds;
    if (changes.moderators) {
        moderatorIds = namedModerators(*changes.moderators);
        details.add("moderators", moderatorList(*changes.moderators));
    }
    if (!rooms_.update(room))
        throw notFound();
    if (changes.moderators)
        rooms_.setModerators(room.id, moderatorIds);
    audit_.append({who.user.username, address, "room.update", target(room), "success", details.text()});
    return room;
}

storage::Room RoomService::regenerateLink(std::int64_t roomId, const Principal& who,
                                          const std::string& address)
{
    auto room = ownedBy(roomId, who);
    room.linkSecret = randomToken();
    if (!rooms_.setLinkSecret(room.id, room.linkSecret))
        throw notFound();
    audit_.append({who.user.username, address, "room.link_regenerate", target(room), "success", "{}"});
    return room;
}

void RoomService::remove(std::int64_t roomId, const Principal& who, const std::string& address)
{
    const auto room = ownedBy(roomId, who);
    if (room.kind == storage::RoomKind::Personal)
        throw HttpError(Status::HTTP_CONFLICT, "personal_room",
                        "a personal room lives as long as its owner; it cannot be deleted");
    if (!rooms_.remove(room.id))
        throw notFound();
    audit_.append({who.user.username, address, "meeting.delete", target(room), "success",
                   storage::AuditDetails().add("meetingId", room.meetingId).text()});
}

IssuedInvitation RoomService::issueInvitation(std::int64_t roomId, const Principal& who,
                                              const std::string& name, const std::string& address)
{
    const auto room = manageable(roomId, who);
    if (name.empty() || !isValidUtf8(name) || hasControlCharacters(name) || utf8Length(name) > 64)
        throw invalid("name must be 1 to 64 printable characters");
    IssuedInvitation issued;
    issued.key = randomToken();
    issued.invitation =
        rooms_.createInvitation(room.id, name, tokenHash(issued.key), who.user.username, unixNow());
    audit_.append({who.user.username, address, "invitation.issue", target(room), "success",
                   storage::AuditDetails().add("invitation", issued.invitation.id).add("name", name).text()});
    return issued;
}

std::vector<storage::Invitation> RoomService::invitations(std::int64_t roomId, const Principal& who)
{
    return rooms_.invitations(manageable(roomId, who).id);
}

void RoomService::revokeInvitation(std::int64_t roomId, std::int64_t invitationId,
                                   const std::string& actor, const std::string& address)
{
    if (!rooms_.revokeInvitation(roomId, invitationId, unixNow()))
        throw HttpError(Status::HTTP_NOT_FOUND, "not_found", "no such unrevoked invitation");
    audit_.append({actor, address, "invitation.revoke", "room:" + std::to_string(roomId), "success",
                   storage::AuditDetails().add("invitation", invitationId).text()});
}

void RoomService::recordInvitationJoin(std::int64_t invitationId)
{
    rooms_.recordInvitationJoin(invitationId, unixNow());
}

std::vector<std::string> RoomService::moderatorNames(std::int64_t roomId)
{
    storage::UserStore users(database_);
    std::vector<std::string> names;
    for (const auto id : rooms_.moderators(roomId))
        if (const auto user = users.findById(id))
            names.push_back(user->username);
    return names;
}

std::size_t RoomService::removeExpiredMeetings()
{
    const auto cutoff = unixNow() - std::chrono::duration_cast<std::chrono::seconds>(
                                        settings_.meetingRetention).count();
    const auto removed = rooms_.removeMeetingsEndedBefore(cutoff);
    for (const auto& room : removed)
        audit_.append({"system", "local", "meeting.expire", target(room), "success",
                       storage::AuditDetails().add("meetingId", room.meetingId).add("endsAt", *room.endsAt).text()});
    return removed.size();
}

std::optional<storage::Room> RoomService::findById(std::int64_t roomId)
{
    return rooms_.findById(roomId);
}

std::optional<storage::Room> RoomService::findByLink(const std::string& linkSecret)
{
    auto room = rooms_.findByLinkSecret(linkSecret);
    if (!room || !equalConstantTime(room->linkSecret, linkSecret))
        return std::nullopt;
    return room;
}

std::optional<storage::Room> RoomService::findByMeetingId(std::int64_t meetingId)
{
    return rooms_.findByMeetingId(meetingId);
}

std::optional<storage::Invitation> RoomService::findInvitationByKey(const std::string& key)
{
    return rooms_.findInvitationByKeyHash(tokenHash(key));
}

void RoomService::setLocked(std::int64_t roomId, bool locked)
{
    rooms_.setLocked(roomId, locked);
}

void RoomService::endMeeting(std::int64_t roomId)
{
    rooms_.endMeeting(roomId, unixNow());
}

} // namespace parley::portal
