#include <parley/storage/database.h>
#include <parley/storage/room_store.h>
#include <parley/storage/user_store.h>

#include "stored_user.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>

#include <set>

using namespace parley::storage;
using parley::test::addUser;

namespace {

Room meeting(std::int64_t owner, const std::string& secret)
{
    Room room;
    room.kind = RoomKind::Meeting;
    room.ownerId = owner;
    room.title = "Consultation";
    room.linkSecret = secret;
    room.startsAt = 1000;
    room.endsAt = 2000;
    return room;
}

} // namespace

TEST_CASE("A meeting ID already taken is replaced by the next candidate")
{
    parley::test::TempDir dir;
    Database database({dir / "parley.db"});
    const auto owner = addUser(database, "owner");
    std::vector<std::int64_t> candidates{123456789, 123456789, 123456789, 987654321};
    std::size_t next = 0;
    RoomStore rooms(database, [&] { return candidates.at(next++); });

    const auto first = rooms.create(meeting(owner, "secret-1"));
    const auto second = rooms.create(meeting(owner, "secret-2"));
    CHECK(first.meetingId == 123456789);
    CHECK(second.meetingId == 987654321);
    CHECK(next == 4); // the two collisions were tried and skipped
    REQUIRE(rooms.findByMeetingId(987654321));
    CHECK(rooms.findByMeetingId(987654321)->id == second.id);

    // A source that only ever repeats itself is an error, not an endless loop.
    RoomStore stuck(database, [] { return std::int64_t{123456789}; });
    CHECK_THROWS_AS(stuck.create(meeting(owner, "secret-3")), RoomStoreError);
}

TEST_CASE("Random meeting IDs are nine digits and distinct")
{
    parley::test::TempDir dir;
    Database database({dir / "parley.db"});
    const auto owner = addUser(database, "owner");
    RoomStore rooms(database);
    std::set<std::int64_t> seen;
    for (int i = 0; i < 200; ++i) {
        const auto room = rooms.create(meeting(owner, "secret-" + std::to_string(i)));
        CHECK(room.meetingId >= 100000000);
        CHECK(room.meetingId <= 999999999);
        seen.insert(room.meetingId);
    }
    CHECK(seen.size() == 200);
}

TEST_CASE("Each user has at most one personal room and a link secret belongs to one room")
{
    parley::test::TempDir dir;
    Database database({dir / "parley.db"});
    const auto owner = addUser(database, "owner");
    RoomStore rooms(database);
    Room personal;
    personal.ownerId = owner;
    personal.title = "Owner's room";
    personal.linkSecret = "personal-secret";
    const auto stored = rooms.create(personal);
    CHECK(rooms.findPersonal(owner)->id == stored.id);
    personal.linkSecret = "other-secret";
    CHECK_THROWS_AS(rooms.create(personal), RoomStoreError);
    CHECK_THROWS_AS(rooms.create(meeting(owner, "personal-secret")), RoomStoreError);

    REQUIRE(rooms.setLinkSecret(stored.id, "new-secret"));
    CHECK_FALSE(rooms.findByLinkSecret("personal-secret"));
    CHECK(rooms.findByLinkSecret("new-secret")->id == stored.id);
}

TEST_CASE("Invitations are revoked once, rooms go with their owner, and old meetings are removed")
{
    parley::test::TempDir dir;
    Database database({dir / "parley.db"});
    const auto owner = addUser(database, "owner");
    const auto helper = addUser(database, "helper");
    RoomStore rooms(database);
    const auto old = rooms.create(meeting(owner, "old"));
    auto current = meeting(owner, "current");
    current.endsAt = 5000;
    const auto kept = rooms.create(current);

    const auto invitation = rooms.createInvitation(kept.id, "Dr. Who", "hash-1", "owner", 100);
    CHECK(rooms.findInvitationByKeyHash("hash-1")->name == "Dr. Who");
    CHECK_FALSE(rooms.revokeInvitation(old.id, invitation.id, 200)); // wrong room
    CHECK(rooms.revokeInvitation(kept.id, invitation.id, 200));
    CHECK_FALSE(rooms.revokeInvitation(kept.id, invitation.id, 300));
    CHECK(rooms.findInvitationByKeyHash("hash-1")->revokedAt == 200);

    rooms.setModerators(kept.id, {helper});
    CHECK(rooms.isModerator(kept.id, helper));
    CHECK(rooms.listForUser(helper).size() == 1);

    const auto removed = rooms.removeMeetingsEndedBefore(3000);
    REQUIRE(removed.size() == 1);
    CHECK(removed[0].id == old.id);
    CHECK_FALSE(rooms.findById(old.id));

    REQUIRE(UserStore(database).remove(owner));
    CHECK_FALSE(rooms.findById(kept.id));
    CHECK_FALSE(rooms.findInvitationByKeyHash("hash-1"));
}

TEST_CASE("Joins with an invitation key are counted, with the time of the last")
{
    parley::test::TempDir dir;
    Database database({dir / "parley.db"});
    const auto owner = addUser(database, "owner");
    RoomStore rooms(database);
    const auto room = rooms.create(meeting(owner, "link"));
    const auto invitation = rooms.createInvitation(room.id, "Dr. Who", "hash-1", "owner", 100);
    CHECK(invitation.joins == 0);
    CHECK_FALSE(invitation.lastJoinedAt);

    CHECK(rooms.recordInvitationJoin(invitation.id, 150));
    CHECK(rooms.recordInvitationJoin(invitation.id, 180));
    const auto listed = rooms.invitations(room.id);
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].joins == 2);
    CHECK(listed[0].lastJoinedAt == 180);
    CHECK(rooms.findInvitationByKeyHash("hash-1")->joins == 2);
    CHECK_FALSE(rooms.recordInvitationJoin(invitation.id + 1, 200));
}
