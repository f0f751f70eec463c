// Reconnecting (docs/signaling.md, "Reconnecting"): a participant whose connection is lost
// keeps its place for signaling.reconnect_grace_seconds, and a new connection takes it back
// with the resume token of its last `joined`; the media is negotiated anew with the router.
#include "media_fixture.h"

#include <chrono>

using namespace parley::test;
using namespace std::chrono_literals;

namespace {

struct Joined
{
    std::string id;
    std::string token;
};

Joined joinedFrom(const Poco::JSON::Object::Ptr& joined)
{
    REQUIRE(codeOf(joined) == "joined");
    return {joined->getValue<std::string>("participantId"), joined->getValue<std::string>("resumeToken")};
}

/// Sends a resume and returns the answer: joined, or the error for it.
Poco::JSON::Object::Ptr resume(WsClient& ws, std::int64_t roomId, const std::string& token)
{
    return ws.resume(roomId, token);
}

/// The participant.updated message about `id`, skipping others; nullptr if none comes.
Poco::JSON::Object::Ptr updateAbout(WsClient& ws, const std::string& id)
{
    for (int i = 0; i < 10; ++i) {
        const auto update = ws.expect("participant.updated");
        if (!update)
            return nullptr;
        if (update->getObject("participant")->getValue<std::string>("id") == id)
            return update->getObject("participant");
    }
    return nullptr;
}

/// Waits for a participant.updated about `id` whose `field` is `value`.
bool updated(WsClient& ws, const std::string& id, const std::string& field, bool value)
{
    for (int i = 0; i < 20; ++i) {
        const auto update = updateAbout(ws, id);
        if (!update)
            return false;
        if (update->getValue<bool>(field) == value)
            return true;
    }
    return false;
}

} // namespace

TEST_CASE("A participant whose connection drops keeps its place and takes it back with its resume token")
{
    SignalingServer server;
    const auto room = personalRoom(server.owner, R"({"waitingRoom":true})");
    auto owner = server.ownerJoins(room);
    auto guest = std::make_unique<WsClient>(server.port());
    REQUIRE(codeOf(guest->join(guestJoin(room, "Grace Guest"))) == "lobby.waiting");
    const auto waiting = owner->expect("lobby.updated");
    REQUIRE(waiting);
    owner->sendText(R"({"type":"admit","participantId":")" +
                    waiting->getArray("waiting")->getObject(0)->getValue<std::string>("id") + "\"}");
    const auto first = joinedFrom(guest->expect("joined"));
    CHECK(first.token.size() == 43);
    REQUIRE(owner->expect("participant.joined"));
    guest->sendText(R"({"type":"hand.raise"})");
    REQUIRE(updateAbout(*owner, first.id));

    // The connection just ends (no close frame): the others see the guest reconnecting.
    guest.reset();
    const auto held = updateAbout(*owner, first.id);
    REQUIRE(held);
    CHECK(held->getValue<bool>("reconnecting"));
    CHECK(held->getValue<bool>("handRaised"));

    // A new connection resumes: same participant, no lobby, no second entry in the roster.
    WsClient again(server.port());
    const auto joined = resume(again, room.id, first.token);
    const auto second = joinedFrom(joined);
    CHECK(second.id == first.id);
    CHECK(second.token != first.token);
    CHECK(joined->getValue<std::string>("role") == "participant");
    CHECK(joined->getArray("roster")->size() == 2);
    const auto self = rosterEntry(joined, "Grace Guest");
    REQUIRE(self);
    CHECK(self->getValue<bool>("guest"));
    CHECK(self->getValue<bool>("handRaised"));
    CHECK_FALSE(self->getValue<bool>("reconnecting"));
    const auto back = updateAbout(*owner, first.id);
    REQUIRE(back);
    CHECK_FALSE(back->getValue<bool>("reconnecting"));
    CHECK_FALSE(owner->receives("participant.left", 500ms));
    CHECK_FALSE(owner->receives("participant.joined", 100ms));

    // The resumed connection works as the old one did, and leaving is leaving.
    again.sendText(R"({"type":"hand.lower"})");
    REQUIRE(updateAbout(*owner, first.id));
    auto admin = server.admin();
    CHECK(auditCount(admin, "action=room.resume&outcome=success") == 1);
    again.sendText(R"({"type":"leave"})");
    CHECK(again.closeCode() == 1000);
    const auto left = owner->expect("participant.left");
    REQUIRE(left);
    CHECK(left->getValue<std::string>("participantId") == first.id);
}

TEST_CASE("Resume refuses used, wrong and malformed tokens, another room's token and another user's place")
{
    SignalingServer server;
    auto other = server.userWithRole("other", "user");
    auto colleague = server.userWithRole("colleague", "user");
    const auto roomA = personalRoom(server.owner, R"({"waitingRoom":false})");
    const auto roomB = personalRoom(other, R"({"waitingRoom":false})");
    auto owner = server.ownerJoins(roomA);
    WsClient ownerOfB(server.port(), sessionCookie(other));
    REQUIRE(codeOf(ownerOfB.join(R"("link":")" + roomB.link + "\"")) == "joined");

    auto guest = std::make_unique<WsClient>(server.port());
    const auto first = joinedFrom(guest->join(guestJoin(roomA, "Guest")));
    auto user = std::make_unique<WsClient>(server.port(), sessionCookie(colleague));
    const auto userJoined = joinedFrom(user->join(R"("link":")" + roomA.link + "\""));
    guest.reset();
    user.reset();

    WsClient probe(server.port());
    CHECK(codeOf(resume(probe, roomA.id, std::string(43, 'x'))) == "invalid_token");
    CHECK(codeOf(resume(probe, roomA.id, "")) == "invalid_token");
    CHECK(codeOf(resume(probe, roomB.id, first.token)) == "invalid_token"); // another room's token
    CHECK(codeOf(resume(probe, 999999, first.token)) == "invalid_token");   // no such live room
    // A signed-in user's place is theirs: neither a guest nor another user resumes it.
    CHECK(codeOf(resume(probe, roomA.id, userJoined.token)) == "invalid_token");
    WsClient otherUser(server.port(), sessionCookie(other));
    CHECK(codeOf(resume(otherUser, roomA.id, userJoined.token)) == "invalid_token");
    // Malformed: the fields' types are checked.
    CHECK(codeOf(probe.request(R"({"type":"resume","roomId":"1","token":"x"})")) == "invalid_request");
    CHECK(codeOf(probe.request(R"({"type":"resume","roomId":1})")) == "invalid_request");
    CHECK(codeOf(probe.request(R"({"type":"resume","roomId":1,"token":")" + std::string(200, 'a') + "\"}")) ==
          "invalid_request");
    // The connection is still open and can resume with the right token, once.
    CHECK(joinedFrom(resume(probe, roomA.id, first.token)).id == first.id);
    WsClient replay(server.port());
    CHECK(codeOf(resume(replay, roomA.id, first.token)) == "invalid_token");
    // A connection in a room cannot resume another participant.
    CHECK(codeOf(resume(probe, roomA.id, first.token)) == "already_joined");
    // The right user resumes their own place.
    WsClient colleagueAgain(server.port(), sessionCookie(colleague));
    CHECK(joinedFrom(resume(colleagueAgain, roomA.id, userJoined.token)).id == userJoined.id);
    // Refusals are on record (not the tokens).
    auto admin = server.admin();
    CHECK(auditCount(admin, "action=room.resume&outcome=failure") == 7);
    CHECK(auditCount(admin, "action=room.resume&outcome=success") == 2);
}

TEST_CASE("A resume while the old connection is still open moves the participant to the new one")
{
    SignalingServer server;
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    auto owner = server.ownerJoins(room);
    WsClient old(server.port());
    const auto first = joinedFrom(old.join(guestJoin(room, "Guest")));
    REQUIRE(owner->expect("participant.joined"));

    WsClient fresh(server.port());
    const auto second = joinedFrom(resume(fresh, room.id, first.token));
    CHECK(second.id == first.id);
    CHECK(old.closeCode() == 4409); // the old connection is closed: it is not the participant any more
    CHECK_FALSE(owner->receives("participant.left", 1s));
    fresh.sendText(R"({"type":"hand.raise"})");
    CHECK(updated(*owner, first.id, "handRaised", true));
    // The owner's roster, seen afresh, has the guest once.
    WsClient ownerAgain(server.port(), sessionCookie(server.owner));
    const auto roster = ownerAgain.join(R"("link":")" + room.link + "\"")->getArray("roster");
    int guests = 0;
    for (std::size_t i = 0; i < roster->size(); ++i)
        guests += roster->getObject(static_cast<unsigned>(i))->getValue<std::string>("name") == "Guest";
    CHECK(guests == 1);
}

TEST_CASE("A participant who does not come back within the grace leaves, and its token dies with it")
{
    SignalingServer server({"--set", "signaling.reconnect_grace_seconds=1"});
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    auto owner = server.ownerJoins(room);
    auto guest = std::make_unique<WsClient>(server.port());
    const auto first = joinedFrom(guest->join(guestJoin(room, "Guest")));
    REQUIRE(owner->expect("participant.joined"));
    guest.reset();
    const auto held = updateAbout(*owner, first.id);
    REQUIRE(held);
    CHECK(held->getValue<bool>("reconnecting"));
    const auto left = owner->expect("participant.left", 5s);
    INFO(server.server().process().output());
    REQUIRE(left);
    CHECK(left->getValue<std::string>("participantId") == first.id);
    CHECK(left->getValue<std::string>("reason") == "connection_lost");
    WsClient late(server.port());
    CHECK(codeOf(resume(late, room.id, first.token)) == "invalid_token");
    CHECK(auditCount(server.admin(), "action=room.leave&outcome=success") == 1);

    // A connection closed on purpose (a close frame) leaves at once, without a grace.
    WsClient closing(server.port());
    const auto second = joinedFrom(closing.join(guestJoin(room, "Closing")));
    REQUIRE(owner->expect("participant.joined"));
    closing.sendFrame(8, std::string("\x03\xe8", 2));
    const auto gone = owner->expect("participant.left", 2s);
    REQUIRE(gone);
    CHECK(gone->getValue<std::string>("participantId") == second.id);
}

TEST_CASE("With no reconnection grace a lost connection leaves at once")
{
    SignalingServer server({"--set", "signaling.reconnect_grace_seconds=0"});
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    auto owner = server.ownerJoins(room);
    auto guest = std::make_unique<WsClient>(server.port());
    const auto first = joinedFrom(guest->join(guestJoin(room, "Guest")));
    REQUIRE(owner->expect("participant.joined"));
    guest.reset();
    const auto left = owner->expect("participant.left", 3s);
    REQUIRE(left);
    CHECK(left->getValue<std::string>("participantId") == first.id);
}

TEST_CASE("A resumed participant negotiates new media with the router, and a moderator's mute still holds")
{
    SignalingServer server;
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    Attendee owner(std::make_unique<WsClient>(server.port(), sessionCookie(server.owner)),
                   R"("link":")" + room.link + "\"", "owner");
    auto guestWs = std::make_unique<WsClient>(server.port());
    const auto first = joinedFrom(guestWs->join(guestJoin(room, "Guest")));
    Attendee guest(std::move(guestWs), Attendee::AlreadyIn{first.id}, "guest");
    connectAudioBothWays(owner, 1111, guest, 2222);
    REQUIRE(reaches(owner, 1111, guest));
    REQUIRE(reaches(guest, 2222, owner));
    owner.ws->sendText(R"({"type":"mute","participantId":")" + first.id + R"(","kind":"audio"})");
    REQUIRE(updated(*owner.ws, first.id, "audioMutedByModerator", true));
    guest.media.drain();
    owner.media.drain();
    CHECK_FALSE(reaches(guest, 2222, owner));

    // The guest's signaling drops; a new connection resumes with a new media endpoint (new
    // ICE credentials, new DTLS certificate): the router forgot the old one.
    guest.ws.reset();
    auto resumedWs = std::make_unique<WsClient>(server.port());
    const auto resumed = resume(*resumedWs, room.id, first.token);
    REQUIRE(joinedFrom(resumed).id == first.id);
    const auto self = rosterEntry(resumed, "Guest");
    REQUIRE(self);
    CHECK(self->getValue<bool>("audioMutedByModerator"));
    CHECK(self->getArray("tracks")->size() == 0);
    Attendee back(std::move(resumedWs), Attendee::AlreadyIn{first.id}, "guest-again");
    back.negotiate({{"0", "audio", "sendonly", 3333}, {"1", "audio", "recvonly"}}, {{"1", owner.id + "/0"}});
    REQUIRE(back.media.connect());
    // The owner subscribes to the new publication (the page does so when the guest's
    // tracks reappear in the roster).
    owner.negotiate({{"0", "audio", "sendonly", 1111}, {"1", "audio", "recvonly"}}, {{"1", first.id + "/0"}});
    CHECK(reaches(owner, 1111, back));
    owner.media.drain();
    CHECK_FALSE(reaches(back, 3333, owner)); // still muted by the moderator
    owner.ws->sendText(R"({"type":"mute","participantId":")" + first.id + R"(","kind":"audio","muted":false})");
    REQUIRE(updated(*owner.ws, first.id, "audioMutedByModerator", false));
    CHECK(reaches(back, 3333, owner));
}
