#include <parley/storage/database.h>
#include <parley/storage/room_store.h>
#include <parley/storage/transaction.h>

#include "text_search.h"

#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Nullable.h>
#include <Poco/Tuple.h>

#include <openssl/rand.h>

using namespace Poco::Data::Keywords;

namespace parley::storage {
namespace {

using OptionalTime = Poco::Nullable<Poco::Int64>;
using Row = Poco::Tuple<Poco::Int64, std::string, Poco::Int64, Poco::Int64, std::string, std::string,
                        std::string, int, int, int, int, OptionalTime, OptionalTime, Poco::Int64, OptionalTime>;

constexpr const char* kColumns =
    "id, kind, owner_id, meeting_id, title, link_secret, pin, waiting_room, guests_allowed, "
    "users_wait, locked, starts_at, ends_at, created_at, recording_retention_days";

std::optional<std::int64_t> fromNullable(const OptionalTime& value)
{
    if (value.isNull())
        return std::nullopt;
    return value.value();
}

OptionalTime toNullable(const std::optional<std::int64_t>& value)
{
    return value ? OptionalTime(*value) : OptionalTime();
}

Room fromRow(const Row& row)
{
    Room room;
    room.id = row.get<0>();
    room.kind = row.get<1>() == "meeting" ? RoomKind::Meeting : RoomKind::Personal;
    room.ownerId = row.get<2>();
    room.meetingId = row.get<3>();
    room.title = row.get<4>();
    room.linkSecret = row.get<5>();
    room.pin = row.get<6>();
    room.waitingRoom = row.get<7>() != 0;
    room.guestsAllowed = row.get<8>() != 0;
    room.usersWait = row.get<9>() != 0;
    room.locked = row.get<10>() != 0;
    room.startsAt = fromNullable(row.get<11>());
    room.endsAt = fromNullable(row.get<12>());
    room.createdAt = row.get<13>();
    if (const auto days = fromNullable(row.get<14>()))
        room.recordingRetentionDays = static_cast<int>(*days);
    return room;
}

std::optional<Room> first(const std::vector<Row>& rows)
{
    if (rows.empty())
        return std::nullopt;
    return fromRow(rows.front());
}

std::int64_t randomMeetingId()
{
    // Rejection sampling keeps the 900 million IDs equally likely.
    constexpr std::uint64_t kRange = 900000000;
    constexpr std::uint64_t kLimit = UINT64_MAX - UINT64_MAX % kRange;
    for (;;) {
        std::uint64_t value = 0;
        if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value) != 1)
            throw RoomStoreError("the system random number generator failed");
        if (value < kLimit)
            return static_cast<std::int64_t>(100000000 + value % kRange);
    }
}

using InvitationRow = Poco::Tuple<Poco::Int64, Poco::Int64, std::string, std::string, Poco::Int64, OptionalTime,
                                  Poco::Int64, OptionalTime>;
constexpr const char* kInvitationColumns =
    "id, room_id, name, created_by, created_at, revoked_at, joins, last_joined_at";

Invitation fromInvitationRow(const InvitationRow& row)
{
    Invitation invitation;
    invitation.id = row.get<0>();
    invitation.roomId = row.get<1>();
    invitation.name = row.get<2>();
    invitation.createdBy = row.get<3>();
    invitation.createdAt = row.get<4>();
    invitation.revokedAt = fromNullable(row.get<5>());
    invitation.joins = row.get<6>();
    invitation.lastJoinedAt = fromNullable(row.get<7>());
    return invitation;
}

} // namespace

RoomStore::RoomStore(Database& database, MeetingIdSource meetingIds)
    : database_(database), meetingIds_(meetingIds ? std::move(meetingIds) : randomMeetingId)
{}

Room RoomStore::create(Room room, const std::vector<std::int64_t>& moderatorIds)
{
    auto session = database_.session();
    Transaction transaction(session);
    // Inside BEGIN IMMEDIATE nobody else can insert between the check and the insert.
    for (int attempt = 0;; ++attempt) {
        if (attempt == 50)
            throw RoomStoreError("no free meeting ID found after 50 tries");
        Poco::Int64 candidate = meetingIds_();
        if (candidate < 100000000 || candidate > 999999999)
            throw RoomStoreError("meeting ID source gave a number that is not 9 digits");
        int taken = 0;
        session << "SELECT COUNT(*) FROM rooms WHERE meeting_id = ?", use(candidate), into(taken), now;
        if (taken == 0) {
            room.meetingId = candidate;
            break;
        }
    }
    std::string kind = room.kind == RoomKind::Meeting ? "meeting" : "personal";
    Poco::Int64 ownerId = room.ownerId;
    Poco::Int64 meetingId = room.meetingId;
    int waiting = room.waitingRoom, guests = room.guestsAllowed, usersWait = room.usersWait,
        locked = room.locked;
    auto startsAt = toNullable(room.startsAt);
    auto endsAt = toNullable(room.endsAt);
    Poco::Int64 createdAt = 0;
    session << "SELECT CAST(strftime('%s', 'now') AS INTEGER)", into(createdAt), now;
    try {
        session << "INSERT INTO rooms (kind, owner_id, meeting_id, title, link_secret, pin, "
                   "waiting_room, guests_allowed, users_wait, locked, starts_at, ends_at, created_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            use(kind), use(ownerId), use(meetingId), use(room.title), use(room.linkSecret),
            use(room.pin), use(waiting), use(guests), use(usersWait), use(locked), use(startsAt),
            use(endsAt), use(createdAt), now;
    }
    catch (const Poco::Data::SQLite::ConstraintViolationException&) {
        throw RoomStoreError(room.kind == RoomKind::Personal
                                 ? "the user already has a personal room, or the link is in use"
                                 : "the link secret is already in use");
    }
    Poco::Int64 id = 0;
    session << "SELECT last_insert_rowid()", into(id), now;
    for (auto userId : moderatorIds) {
        Poco::Int64 user = userId;
        session << "INSERT OR IGNORE INTO room_moderators (room_id, user_id) VALUES (?, ?)", use(id), use(user), now;
    }
    transaction.commit();
    room.id = id;
    room.createdAt = createdAt;
    return room;
}

template <typename Key>
std::optional<Room> RoomStore::findOne(const std::string& condition, Key key)
{
    auto session = database_.session();
    std::vector<Row> rows;
    session << "SELECT " + std::string(kColumns) + " FROM rooms WHERE " + condition, use(key),
        into(rows), now;
    return first(rows);
}

std::optional<Room> RoomStore::findById(std::int64_t id)
{
    return findOne("id = ?", Poco::Int64{id});
}

std::optional<Room> RoomStore::findPersonal(std::int64_t ownerId)
{
    return findOne("owner_id = ? AND kind = 'personal'", Poco::Int64{ownerId});
}

std::optional<Room> RoomStore::findByLinkSecret(const std::string& linkSecret)
{
    return findOne("link_secret = ?", linkSecret);
}

std::optional<Room> RoomStore::findByMeetingId(std::int64_t meetingId)
{
    return findOne("meeting_id = ?", Poco::Int64{meetingId});
}

std::vector<Room> RoomStore::listForUser(std::int64_t userId)
{
    auto session = database_.session();
    std::vector<Row> rows;
    Poco::Int64 owner = userId, moderator = userId;
    session << "SELECT " + std::string(kColumns) +
                   " FROM rooms WHERE owner_id = ? OR id IN "
                   "(SELECT room_id FROM room_moderators WHERE user_id = ?) "
                   "ORDER BY kind = 'meeting', starts_at, id",
        use(owner), use(moderator), into(rows), now;
    std::vector<Room> rooms;
    for (const auto& row : rows)
        rooms.push_back(fromRow(row));
    return rooms;
}

namespace {

// Title, meeting ID or owner contains the folded text (an empty text matches every room);
// the kind, when given, is bound as the last parameter.
std::string searchCondition(bool byKind)
{
    return std::string("(instr(parley_fold(title), ?) > 0 OR instr(CAST(meeting_id AS TEXT), ?) > 0 OR "
                       "owner_id IN (SELECT id FROM users WHERE instr(parley_fold(username), ?) > 0 OR "
                       "instr(parley_fold(display_name), ?) > 0))") +
           (byKind ? " AND kind = ?" : "");
}

std::string kindName(RoomKind kind)
{
    return kind == RoomKind::Meeting ? "meeting" : "personal";
}

} // namespace

std::vector<Room> RoomStore::search(std::string_view text, std::optional<RoomKind> kind, std::int64_t offset,
                                    std::int64_t limit)
{
    auto session = database_.session();
    std::vector<Row> rows;
    std::string a = foldCase(text), b = std::string(text), c = a, d = a;
    std::string kindText = kind ? kindName(*kind) : std::string();
    Poco::Int64 from = offset, count = limit;
    Poco::Data::Statement statement(session);
    statement << "SELECT " + std::string(kColumns) + " FROM rooms WHERE " + searchCondition(kind.has_value()) +
                     " ORDER BY kind = 'meeting', title, id LIMIT ? OFFSET ?",
        use(a), use(b), use(c), use(d);
    if (kind)
        statement, use(kindText);
    statement, use(count), use(from), into(rows), now;
    std::vector<Room> rooms;
    for (const auto& row : rows)
        rooms.push_back(fromRow(row));
    return rooms;
}

std::int64_t RoomStore::count(std::string_view text, std::optional<RoomKind> kind)
{
    auto session = database_.session();
    std::string a = foldCase(text), b = std::string(text), c = a, d = a;
    std::string kindText = kind ? kindName(*kind) : std::string();
    Poco::Int64 total = 0;
    Poco::Data::Statement statement(session);
    statement << "SELECT count(*) FROM rooms WHERE " + searchCondition(kind.has_value()), use(a), use(b), use(c),
        use(d);
    if (kind)
        statement, use(kindText);
    statement, into(total), now;
    return total;
}

bool RoomStore::update(const Room& room)
{
    auto session = database_.session();
    Poco::Int64 id = room.id;
    std::string title = room.title, pin = room.pin;
    int waiting = room.waitingRoom, guests = room.guestsAllowed, usersWait = room.usersWait,
        locked = room.locked;
    auto startsAt = toNullable(room.startsAt);
    auto endsAt = toNullable(room.endsAt);
    auto retention = room.recordingRetentionDays ? OptionalTime(*room.recordingRetentionDays) : OptionalTime();
    Poco::Data::Statement statement(session);
    statement << "UPDATE rooms SET title = ?, pin = ?, waiting_room = ?, guests_allowed = ?, "
                 "users_wait = ?, locked = ?, starts_at = ?, ends_at = ?, recording_retention_days = ? WHERE id = ?",
        use(title), use(pin), use(waiting), use(guests), use(usersWait), use(locked),
        use(startsAt), use(endsAt), use(retention), use(id);
    return statement.execute() > 0;
}

bool RoomStore::setLinkSecret(std::int64_t id, const std::string& linkSecret)
{
    auto session = database_.session();
    Poco::Int64 key = id;
    std::string secret = linkSecret;
    Poco::Data::Statement statement(session);
    statement << "UPDATE rooms SET link_secret = ? WHERE id = ?", use(secret), use(key);
    return statement.execute() > 0;
}

bool RoomStore::setLocked(std::int64_t id, bool locked)
{
    auto session = database_.session();
    Poco::Int64 key = id;
    int value = locked;
    Poco::Data::Statement statement(session);
    statement << "UPDATE rooms SET locked = ? WHERE id = ?", use(value), use(key);
    return statement.execute() > 0;
}

bool RoomStore::endMeeting(std::int64_t id, std::int64_t now)
{
    auto session = database_.session();
    Poco::Int64 key = id, time = now, later = now;
    Poco::Data::Statement statement(session);
    statement << "UPDATE rooms SET ends_at = ?, starts_at = MIN(COALESCE(starts_at, ?), ?) "
                 "WHERE id = ? AND kind = 'meeting'",
        use(time), use(later), use(later), use(key);
    return statement.execute() > 0;
}

bool RoomStore::remove(std::int64_t id)
{
    auto session = database_.session();
    Poco::Int64 key = id;
    Poco::Data::Statement statement(session);
    statement << "DELETE FROM rooms WHERE id = ?", use(key);
    return statement.execute() > 0;
}

std::vector<Room> RoomStore::removeMeetingsEndedBefore(std::int64_t cutoff)
{
    auto session = database_.session();
    Transaction transaction(session);
    std::vector<Row> rows;
    Poco::Int64 limit = cutoff;
    session << "SELECT " + std::string(kColumns) +
                   " FROM rooms WHERE kind = 'meeting' AND ends_at < ?",
        use(limit), into(rows), now;
    session << "DELETE FROM rooms WHERE kind = 'meeting' AND ends_at < ?", use(limit), now;
    transaction.commit();
    std::vector<Room> removed;
    for (const auto& row : rows)
        removed.push_back(fromRow(row));
    return removed;
}

std::vector<std::int64_t> RoomStore::moderators(std::int64_t roomId)
{
    auto session = database_.session();
    std::vector<Poco::Int64> ids;
    Poco::Int64 key = roomId;
    session << "SELECT user_id FROM room_moderators WHERE room_id = ? ORDER BY user_id", use(key),
        into(ids), now;
    return {ids.begin(), ids.end()};
}

void RoomStore::setModerators(std::int64_t roomId, const std::vector<std::int64_t>& userIds)
{
    auto session = database_.session();
    Transaction transaction(session);
    Poco::Int64 key = roomId;
    session << "DELETE FROM room_moderators WHERE room_id = ?", use(key), now;
    for (auto userId : userIds) {
        Poco::Int64 user = userId;
        session << "INSERT OR IGNORE INTO room_moderators (room_id, user_id) VALUES (?, ?)", use(key),
            use(user), now;
    }
    transaction.commit();
}

bool RoomStore::isModerator(std::int64_t roomId, std::int64_t userId)
{
    auto session = database_.session();
    Poco::Int64 room = roomId, user = userId;
    int count = 0;
    session << "SELECT COUNT(*) FROM room_moderators WHERE room_id = ? AND user_id = ?", use(room),
        use(user), into(count), now;
    return count > 0;
}

Invitation RoomStore::createInvitation(std::int64_t roomId, const std::string& name,
                                       const std::string& keyHash, const std::string& createdBy,
                                       std::int64_t now)
{
    auto session = database_.session();
    Poco::Int64 room = roomId, time = now;
    std::string invitee = name, hash = keyHash, creator = createdBy;
    session << "INSERT INTO room_invitations (room_id, key_hash, name, created_by, created_at) "
               "VALUES (?, ?, ?, ?, ?)",
        use(room), use(hash), use(invitee), use(creator), use(time), Poco::Data::Keywords::now;
    Poco::Int64 id = 0;
    session << "SELECT last_insert_rowid()", into(id), Poco::Data::Keywords::now;
    Invitation invitation;
    invitation.id = id;
    invitation.roomId = roomId;
    invitation.name = name;
    invitation.createdBy = createdBy;
    invitation.createdAt = now;
    return invitation;
}

std::vector<Invitation> RoomStore::invitations(std::int64_t roomId)
{
    auto session = database_.session();
    std::vector<InvitationRow> rows;
    Poco::Int64 key = roomId;
    session << "SELECT " + std::string(kInvitationColumns) +
                   " FROM room_invitations WHERE room_id = ? ORDER BY id",
        use(key), into(rows), now;
    std::vector<Invitation> result;
    for (const auto& row : rows)
        result.push_back(fromInvitationRow(row));
    return result;
}

std::optional<Invitation> RoomStore::findInvitationByKeyHash(const std::string& keyHash)
{
    auto session = database_.session();
    std::vector<InvitationRow> rows;
    std::string key = keyHash;
    session << "SELECT " + std::string(kInvitationColumns) +
                   " FROM room_invitations WHERE key_hash = ?",
        use(key), into(rows), now;
    if (rows.empty())
        return std::nullopt;
    return fromInvitationRow(rows.front());
}

bool RoomStore::revokeInvitation(std::int64_t roomId, std::int64_t invitationId, std::int64_t now)
{
    auto session = database_.session();
    Poco::Int64 room = roomId, id = invitationId, time = now;
    Poco::Data::Statement statement(session);
    statement << "UPDATE room_invitations SET revoked_at = ? "
                 "WHERE id = ? AND room_id = ? AND revoked_at IS NULL",
        use(time), use(id), use(room);
    return statement.execute() > 0;
}

bool RoomStore::recordInvitationJoin(std::int64_t invitationId, std::int64_t now)
{
    auto session = database_.session();
    Poco::Int64 id = invitationId, time = now;
    Poco::Data::Statement statement(session);
    // One statement: concurrent joins with the same key each count.
    statement << "UPDATE room_invitations SET joins = joins + 1, last_joined_at = ? WHERE id = ?", use(time), use(id);
    return statement.execute() > 0;
}

} // namespace parley::storage
