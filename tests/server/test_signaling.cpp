#include "signaling_fixture.h"

#include <sstream>
#include <thread>

using namespace parley::test;
using namespace std::chrono_literals;

TEST_CASE("Owner joins, and a guest with the right PIN waits, is admitted and is marked as a guest")
{
    SignalingServer server;
    const auto room = personalRoom(server.owner, R"({"pin":"4321","waitingRoom":true})");

    // Nobody is there to admit the guest yet: they wait.
    WsClient guest(server.port());
    const auto waiting = guest.join(guestJoin(room, "Grace Guest", "4321"));
    REQUIRE(codeOf(waiting) == "lobby.waiting");
    const auto guestId = waiting->getValue<std::string>("participantId");

    // The owner arrives and sees the guest waiting.
    WsClient owner(server.port(), sessionCookie(server.owner));
    const auto joined = owner.join(R"("link":")" + room.link + "\"");
    REQUIRE(codeOf(joined) == "joined");
    CHECK(joined->getValue<std::string>("role") == "moderator");
    const auto lobby = joined->getArray("waiting");
    REQUIRE(lobby->size() == 1);
    CHECK(lobby->getObject(0)->getValue<std::string>("id") == guestId);
    CHECK(lobby->getObject(0)->getValue<bool>("guest"));
    CHECK_FALSE(rosterEntry(joined, "Grace Guest")); // not in the meeting yet

    owner.sendText(R"({"type":"admit","participantId":")" + guestId + "\"}");
    REQUIRE(guest.expect("lobby.admitted"));
    const auto guestJoined = guest.expect("joined");
    REQUIRE(guestJoined);
    CHECK(guestJoined->getValue<std::string>("role") == "participant");
    const auto self = rosterEntry(guestJoined, "Grace Guest");
    REQUIRE(self);
    CHECK(self->getValue<bool>("guest"));
    const auto ownerEntry = rosterEntry(guestJoined, "owner");
    REQUIRE(ownerEntry);
    CHECK_FALSE(ownerEntry->getValue<bool>("guest"));
    CHECK(ownerEntry->getValue<std::string>("role") == "moderator");

    const auto announced = owner.expect("participant.joined");
    REQUIRE(announced);
    CHECK(announced->getObject("participant")->getValue<std::string>("name") == "Grace Guest");
    CHECK(announced->getObject("participant")->getValue<bool>("guest"));

    // Both the admission and the join are on record.
    auto admin = server.admin();
    CHECK(auditCount(admin, "action=lobby.admit") == 1);
    CHECK(auditCount(admin, "action=room.join") == 2);

    // Leaving is seen by the others.
    guest.sendText(R"({"type":"leave"})");
    CHECK(guest.closeCode() == 1000);
    const auto left = owner.expect("participant.left");
    REQUIRE(left);
    CHECK(left->getValue<std::string>("participantId") == guestId);
}

TEST_CASE("A moderator can deny a waiting guest, who is told and disconnected")
{
    SignalingServer server;
    const auto room = personalRoom(server.owner);
    auto owner = server.ownerJoins(room);
    WsClient guest(server.port());
    REQUIRE(codeOf(guest.join(guestJoin(room, "Mallory"))) == "lobby.waiting");
    const auto lobby = owner->expect("lobby.updated");
    REQUIRE(lobby);
    const auto id = lobby->getArray("waiting")->getObject(0)->getValue<std::string>("id");
    owner->sendText(R"({"type":"deny","participantId":")" + id + "\"}");
    CHECK(guest.expect("lobby.denied"));
    CHECK(guest.closeCode() == 4403);
}

TEST_CASE("Signed-in users skip the waiting room unless the room makes users wait too")
{
    SignalingServer server;
    auto colleague = server.userWithRole("colleague", "user");
    const auto room = personalRoom(server.owner, R"({"waitingRoom":true,"usersWait":false})");
    WsClient first(server.port(), sessionCookie(colleague));
    CHECK(codeOf(first.join(R"("link":")" + room.link + "\"")) == "joined");
    first.sendText(R"({"type":"leave"})");
    CHECK(first.closeCode() == 1000);

    REQUIRE(server.owner.call("PATCH", "/api/v1/rooms/" + std::to_string(room.id),
                              R"({"usersWait":true})").status == 200);
    WsClient second(server.port(), sessionCookie(colleague));
    CHECK(codeOf(second.join(R"("link":")" + room.link + "\"")) == "lobby.waiting");
}

TEST_CASE("A wrong PIN is refused, and PIN guessing is limited per room and per address")
{
    // Three free wrong PINs per room, five per address.
    SignalingServer server({"--set", "rooms.pin_room_free_attempts=3", "--set",
                            "rooms.pin_address_free_attempts=5"});
    auto other = server.userWithRole("other", "user");
    const auto roomA = personalRoom(server.owner, R"({"pin":"1111","waitingRoom":false})");
    const auto roomB = personalRoom(other, R"({"pin":"2222","waitingRoom":false})");

    WsClient guest(server.port());
    CHECK(codeOf(guest.join(guestJoin(roomA, "G"))) == "pin_required");
    std::string last;
    int attempts = 0;
    while (attempts < 10 && (last = codeOf(guest.join(guestJoin(roomA, "G", "9999")))) == "pin_incorrect")
        ++attempts;
    CHECK(attempts == 3); // three wrong PINs, then the room is locked out
    REQUIRE(last == "too_many_attempts");
    // Locked out: even the right PIN is refused for now, with a hint when to retry.
    const auto locked = guest.join(guestJoin(roomA, "G", "1111"));
    REQUIRE(codeOf(locked) == "too_many_attempts");
    CHECK(locked->getValue<int>("retryAfter") > 0);

    // Another room is not locked by room A's failures.
    WsClient guestB(server.port());
    CHECK(codeOf(guestB.join(guestJoin(roomB, "G", "2222"))) == "joined");

    // But this address has used three of its five: two more failures anywhere lock it out.
    WsClient guestC(server.port());
    CHECK(codeOf(guestC.join(guestJoin(roomB, "G", "0000"))) == "pin_incorrect");
    CHECK(codeOf(guestC.join(guestJoin(roomB, "G", "0001"))) == "pin_incorrect");
    CHECK(codeOf(guestC.join(guestJoin(roomB, "G", "2222"))) == "too_many_attempts");

    // Every wrong PIN is on record; refusals during the lockout are not, the lockout is.
    CHECK(auditCount(server.admin(), "action=room.join&outcome=failure") == 6);
    CHECK(auditCount(server.admin(), "action=room.pin_lockout") == 1);
}

TEST_CASE("A locked room refuses new joins but keeps those present")
{
    SignalingServer server;
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    auto owner = server.ownerJoins(room);
    WsClient guest(server.port());
    REQUIRE(codeOf(guest.join(guestJoin(room, "Present Guest"))) == "joined");

    owner->sendText(R"({"type":"lock"})");
    const auto update = guest.expect("room.updated");
    REQUIRE(update);
    CHECK(update->getValue<bool>("locked"));

    WsClient late(server.port());
    CHECK(codeOf(late.join(guestJoin(room, "Late Guest"))) == "room_locked");

    // The present guest is still in the meeting.
    guest.sendText(R"({"type":"hand.raise"})");
    const auto raised = owner->expect("participant.updated");
    REQUIRE(raised);
    CHECK(raised->getObject("participant")->getValue<bool>("handRaised"));

    // The lock is stored: the REST view shows it, and unlocking lets people in again.
    const auto view = server.owner.call("GET", "/api/v1/rooms/" + std::to_string(room.id));
    CHECK(json(view.body)->getValue<bool>("locked"));
    owner->sendText(R"({"type":"unlock"})");
    REQUIRE(guest.expect("room.updated"));
    WsClient later(server.port());
    CHECK(codeOf(later.join(guestJoin(room, "Later Guest"))) == "joined");
    CHECK(auditCount(server.admin(), "action=room.lock") == 1);
}

TEST_CASE("A kicked invitee cannot rejoin with the same key")
{
    SignalingServer server;
    const auto room = personalRoom(server.owner, R"({"pin":"5555"})");
    const auto issued = server.owner.call("POST", "/api/v1/rooms/" + std::to_string(room.id) + "/invitations",
                                          R"({"name":"Dr. Invitee"})");
    REQUIRE(issued.status == 201);
    const auto key = json(issued.body)->getValue<std::string>("key");
    auto owner = server.ownerJoins(room);

    // An invitation is its own credential: no PIN, no waiting room.
    WsClient invitee(server.port());
    const auto joined = invitee.join(R"("key":")" + key + "\"");
    REQUIRE(codeOf(joined) == "joined");
    const auto id = joined->getValue<std::string>("participantId");
    CHECK(rosterEntry(joined, "Dr. Invitee")->getValue<bool>("guest"));

    owner->sendText(R"({"type":"kick","participantId":")" + id + "\"}");
    const auto removed = invitee.expect("removed");
    REQUIRE(removed);
    CHECK(removed->getValue<std::string>("reason") == "kicked");
    CHECK(invitee.closeCode() == 4403);
    const auto left = owner->expect("participant.left");
    REQUIRE(left);
    CHECK(left->getValue<std::string>("reason") == "kicked");

    WsClient again(server.port());
    CHECK(codeOf(again.join(R"("key":")" + key + "\"")) == "revoked_key");
    CHECK(auditCount(server.admin(), "action=participant.kick") == 1);
}

TEST_CASE("A kicked user cannot rejoin the meeting while it goes on")
{
    SignalingServer server;
    auto colleague = server.userWithRole("colleague", "user");
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    auto owner = server.ownerJoins(room);
    WsClient user(server.port(), sessionCookie(colleague));
    const auto joined = user.join(R"("link":")" + room.link + "\"");
    REQUIRE(codeOf(joined) == "joined");
    owner->sendText(R"({"type":"kick","participantId":")" + joined->getValue<std::string>("participantId") + "\"}");
    CHECK(user.closeCode() == 4403);
    WsClient again(server.port(), sessionCookie(colleague));
    CHECK(codeOf(again.join(R"("link":")" + room.link + "\"")) == "removed");
}

TEST_CASE("A guest promoted to moderator cannot remove the room's owner or an admin, and the owner can remove them")
{
    SignalingServer server;
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    auto owner = server.ownerJoins(room);
    auto adminClient = server.admin();
    WsClient admin(server.port(), sessionCookie(adminClient));
    const auto adminJoined = admin.join(R"("link":")" + room.link + "\"");
    REQUIRE(codeOf(adminJoined) == "joined");
    const auto adminId = adminJoined->getValue<std::string>("participantId");
    WsClient guest(server.port());
    const auto guestJoined = guest.join(guestJoin(room, "Promoted Guest"));
    REQUIRE(codeOf(guestJoined) == "joined");
    const auto guestId = guestJoined->getValue<std::string>("participantId");
    const auto ownerEntry = rosterEntry(guestJoined, "owner");
    REQUIRE(ownerEntry);
    const auto ownerId = ownerEntry->getValue<std::string>("id");

    owner->sendText(R"({"type":"promote","participantId":")" + guestId + "\"}");
    REQUIRE(guest.expect("lobby.updated")); // a moderator now
    for (const auto& target : {ownerId, adminId}) {
        guest.sendText(R"({"type":"kick","participantId":")" + target + "\"}");
        const auto refused = guest.expect("error");
        REQUIRE(refused);
        CHECK(refused->getValue<std::string>("code") == "cannot_remove_owner");
    }
    // Both are still in the meeting, and the owner can remove the guest.
    owner->sendText(R"({"type":"kick","participantId":")" + guestId + "\"}");
    CHECK(guest.closeCode() == 4403);
    CHECK(owner->expect("participant.left"));
    CHECK(admin.expect("participant.left"));
    CHECK(auditCount(server.admin(), "action=participant.kick") == 1);
}

TEST_CASE("A revoked invitation key is refused and removes whoever joined with it")
{
    SignalingServer server;
    const auto room = personalRoom(server.owner);
    const auto path = "/api/v1/rooms/" + std::to_string(room.id) + "/invitations";
    const auto issued = json(server.owner.call("POST", path, R"({"name":"Consultant"})").body);
    const auto key = issued->getValue<std::string>("key");
    const auto invitationId = issued->getValue<std::int64_t>("id");
    auto owner = server.ownerJoins(room);
    WsClient invitee(server.port());
    REQUIRE(codeOf(invitee.join(R"("key":")" + key + "\"")) == "joined");

    REQUIRE(server.owner.call("DELETE", path + "/" + std::to_string(invitationId)).status == 204);
    const auto removed = invitee.expect("removed");
    REQUIRE(removed);
    CHECK(removed->getValue<std::string>("reason") == "invitation_revoked");
    CHECK(invitee.closeCode() == 4403);

    WsClient again(server.port());
    CHECK(codeOf(again.join(R"("key":")" + key + "\"")) == "revoked_key");
    WsClient forged(server.port());
    CHECK(codeOf(forged.join(R"("key":"not-a-key")")) == "invalid_key");

    const auto list = json(server.owner.call("GET", path).body)->getArray("invitations");
    REQUIRE(list->size() == 1);
    CHECK(list->getObject(0)->getValue<bool>("revoked"));
    CHECK_FALSE(list->getObject(0)->has("key")); // shown once, never stored
}

TEST_CASE("A regenerated link refuses the old link")
{
    SignalingServer server;
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    const auto renewed = roomFrom(server.owner.call("POST", "/api/v1/rooms/" + std::to_string(room.id) + "/link"));
    CHECK(renewed.link != room.link);
    WsClient old(server.port());
    CHECK(codeOf(old.join(guestJoin(room, "Old Link"))) == "invalid_link");
    WsClient fresh(server.port());
    CHECK(codeOf(fresh.join(guestJoin(renewed, "New Link"))) == "joined");
}

TEST_CASE("A meeting refuses joins after its end time and after a moderator ends it")
{
    SignalingServer server;
    const auto now = std::chrono::system_clock::now();
    const auto soon = roomFrom(server.owner.call(
        "POST", "/api/v1/rooms",
        R"({"title":"Short","startsAt":")" + isoTime(now - 1h) + R"(","endsAt":")" + isoTime(now + 2s) +
            R"(","waitingRoom":false})"));
    std::this_thread::sleep_for(3s);
    WsClient late(server.port());
    CHECK(codeOf(late.join(guestJoin(soon, "Late"))) == "meeting_ended");
    WsClient lateOwner(server.port(), sessionCookie(server.owner));
    CHECK(codeOf(lateOwner.join(R"("link":")" + soon.link + "\"")) == "meeting_ended");

    const auto meeting = roomFrom(server.owner.call(
        "POST", "/api/v1/rooms",
        R"({"title":"Long","startsAt":")" + isoTime(now) + R"(","endsAt":")" + isoTime(now + 2h) +
            R"(","waitingRoom":false})"));
    auto owner = server.ownerJoins(meeting);
    WsClient guest(server.port());
    REQUIRE(codeOf(guest.join(guestJoin(meeting, "Guest"))) == "joined");
    owner->sendText(R"({"type":"end"})");
    const auto ended = guest.expect("room.ended");
    REQUIRE(ended);
    CHECK(guest.closeCode() == 4404);
    CHECK(owner->closeCode() == 4404);
    WsClient again(server.port());
    CHECK(codeOf(again.join(guestJoin(meeting, "Guest"))) == "meeting_ended");
    CHECK(auditCount(server.admin(), "action=room.end") == 1);
}

TEST_CASE("Moderator actions from a participant are refused and audited")
{
    SignalingServer server;
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    auto owner = server.ownerJoins(room);
    WsClient guest(server.port());
    const auto joined = guest.join(guestJoin(room, "Not A Moderator"));
    REQUIRE(codeOf(joined) == "joined");
    const auto ownerId = rosterEntry(joined, "owner")->getValue<std::string>("id");

    for (const std::string& message :
         {R"({"type":"kick","participantId":")" + ownerId + "\"}",
          R"({"type":"mute","participantId":")" + ownerId + R"(","kind":"audio"})",
          std::string(R"({"type":"mute","all":true,"kind":"video"})"), std::string(R"({"type":"lock"})"),
          std::string(R"({"type":"end"})"),
          R"({"type":"promote","participantId":")" + joined->getValue<std::string>("participantId") + "\"}",
          std::string(R"({"type":"admit","participantId":"x"})")}) {
        INFO(message);
        guest.sendText(message);
        const auto error = guest.expect("error");
        REQUIRE(error);
        CHECK(error->getValue<std::string>("code") == "not_moderator");
    }
    // The owner is still there, unmuted, and the room unlocked.
    owner->sendText(R"({"type":"ping"})");
    CHECK(owner->receives("pong", 5s));
    const auto view = json(server.owner.call("GET", "/api/v1/rooms/" + std::to_string(room.id)).body);
    CHECK_FALSE(view->getValue<bool>("locked"));
    CHECK(view->getObject("live")->getValue<int>("present") == 2);
    CHECK(auditCount(server.admin(), "outcome=failure&action=room.lock") == 1);
}

TEST_CASE("Moderators mute one or all, promote, and media messages are relayed between participants")
{
    // Relaying media messages between participants is for servers without a media router.
    SignalingServer server({"--set", "router.enabled=false"});
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    auto owner = server.ownerJoins(room);
    WsClient alice(server.port());
    const auto aliceJoined = alice.join(guestJoin(room, "Alice"));
    REQUIRE(codeOf(aliceJoined) == "joined");
    const auto aliceId = aliceJoined->getValue<std::string>("participantId");
    WsClient bob(server.port());
    const auto bobJoined = bob.join(guestJoin(room, "Bob"));
    REQUIRE(codeOf(bobJoined) == "joined");
    const auto bobId = bobJoined->getValue<std::string>("participantId");

    owner->sendText(R"({"type":"mute","participantId":")" + aliceId + R"(","kind":"audio"})");
    Poco::JSON::Object::Ptr update;
    do
        update = bob.expect("participant.updated");
    while (update && update->getObject("participant")->getValue<std::string>("id") != aliceId);
    REQUIRE(update);
    CHECK(update->getObject("participant")->getValue<bool>("audioMutedByModerator"));
    CHECK_FALSE(update->getObject("participant")->getValue<bool>("videoMutedByModerator"));

    owner->sendText(R"({"type":"mute","all":true,"kind":"video"})");
    int videoMuted = 0;
    while (auto next = alice.expect("participant.updated", 2s))
        videoMuted += next->getObject("participant")->getValue<bool>("videoMutedByModerator");
    CHECK(videoMuted == 2); // Alice and Bob, not the owner

    bob.sendText(R"({"type":"media.state","audioMuted":true})");
    Poco::JSON::Object::Ptr own;
    do
        own = alice.expect("participant.updated");
    while (own && own->getObject("participant")->getValue<std::string>("id") != bobId);
    REQUIRE(own);
    CHECK(own->getObject("participant")->getValue<bool>("audioMuted"));

    owner->sendText(R"({"type":"promote","participantId":")" + bobId + "\"}");
    REQUIRE(bob.expect("lobby.updated")); // a moderator sees the lobby
    bob.sendText(R"({"type":"lock"})");
    CHECK(alice.receives("room.updated", 5s));

    alice.sendText(R"({"type":"media.offer","to":")" + bobId + R"(","sdp":"v=0 opaque"})");
    const auto offer = bob.expect("media.offer");
    REQUIRE(offer);
    CHECK(offer->getValue<std::string>("from") == aliceId);
    CHECK(offer->getValue<std::string>("sdp") == "v=0 opaque");
    CHECK_FALSE(offer->has("to"));
    alice.sendText(R"({"type":"media.candidate","to":"nobody","candidate":{}})");
    CHECK(codeOf(alice.expect("error")) == "unknown_participant");
}

TEST_CASE("Guests are refused where the room admits no guests, and a full room refuses anyone")
{
    SignalingServer server({"--set", "rooms.max_participants=2"});
    const auto room = personalRoom(server.owner, R"({"guestsAllowed":false,"waitingRoom":false})");
    WsClient guest(server.port());
    CHECK(codeOf(guest.join(guestJoin(room, "Guest"))) == "guests_not_allowed");
    auto owner = server.ownerJoins(room);
    auto colleague = server.userWithRole("colleague", "user");
    auto third = server.userWithRole("third", "user");
    WsClient second(server.port(), sessionCookie(colleague));
    CHECK(codeOf(second.join(R"("link":")" + room.link + "\"")) == "joined");
    WsClient full(server.port(), sessionCookie(third));
    CHECK(codeOf(full.join(R"("link":")" + room.link + "\"")) == "room_full");
}

TEST_CASE("Guessing meeting IDs is limited per user, and other users are not affected")
{
    SignalingServer server;
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    const auto cookie = sessionCookie(server.admin());
    // Ten unknown IDs are answered as such (each audited); then the user is locked out and
    // even a real ID is refused with a wait, without telling whether it exists.
    for (int i = 0; i < 10; ++i) {
        WsClient guesser(server.port(), cookie);
        const auto id = std::to_string(100000000 + i * 7919);
        CHECK(codeOf(guesser.join(R"("meetingId":")" + (id == room.meetingId ? "000000001" : id) + "\"")) ==
              "unknown_meeting");
    }
    WsClient locked(server.port(), cookie);
    const auto refusal = locked.join(R"("meetingId":")" + room.meetingId + "\"");
    CHECK(codeOf(refusal) == "too_many_attempts");
    CHECK(refusal->getValue<int>("retryAfter") >= 29);
    // Another user is not affected by the first one's guesses.
    WsClient owner(server.port(), sessionCookie(server.owner));
    CHECK(codeOf(owner.join(R"("meetingId":")" + room.meetingId + "\"")) == "joined");
}

TEST_CASE("Signed-in users join by meeting ID, and guests need the link")
{
    SignalingServer server;
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    REQUIRE(room.meetingId.size() == 9);
    WsClient owner(server.port(), sessionCookie(server.owner));
    CHECK(codeOf(owner.join(R"("meetingId":")" + room.meetingId + "\"")) == "joined");
    WsClient guest(server.port());
    CHECK(codeOf(guest.join(R"("meetingId":")" + room.meetingId + R"(","name":"G")")) == "sign_in_required");
    WsClient unknown(server.port(), sessionCookie(server.admin()));
    CHECK(codeOf(unknown.join(R"("meetingId":"000000001")")) == "unknown_meeting");
}

TEST_CASE("A media offer without a recipient is answered by the media router, and bad SDP is refused")
{
    SignalingServer server;
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    auto owner = server.ownerJoins(room);
    WsClient guest(server.port());
    REQUIRE(codeOf(guest.join(guestJoin(room, "Publisher"))) == "joined");

    const std::string offer =
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=ice-ufrag:abcd\r\n"
        "a=ice-pwd:abcdabcdabcdabcdabcdabcd\r\na=fingerprint:sha-256 "
        "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF\r\n"
        "a=setup:actpass\r\na=sendonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=ssrc:42 cname:x\r\n";
    Poco::JSON::Object message;
    message.set("type", "media.offer");
    message.set("sdp", offer);
    Poco::JSON::Object tracks;
    tracks.set("0", "audio");
    message.set("tracks", tracks);
    std::ostringstream text;
    message.stringify(text);
    guest.sendText(text.str());
    const auto answer = guest.expect("media.answer");
    REQUIRE(answer);
    const auto sdp = answer->getValue<std::string>("sdp");
    CHECK(sdp.find("a=ice-lite") != std::string::npos);
    CHECK(sdp.find("a=setup:passive") != std::string::npos);
    CHECK(sdp.find("a=recvonly") != std::string::npos);
    CHECK(sdp.find("typ host") != std::string::npos);

    // Everyone learns what the guest publishes, to subscribe to it.
    Poco::JSON::Object::Ptr update;
    do
        update = owner->expect("participant.updated");
    while (update && update->getObject("participant")->getArray("tracks")->size() == 0);
    REQUIRE(update);
    const auto track = update->getObject("participant")->getArray("tracks")->getObject(0);
    CHECK(track->getValue<std::string>("kind") == "audio");
    CHECK(track->getValue<std::string>("id").find('/') != std::string::npos);

    // With the router, a media message addressed to another participant is refused: a
    // relayed answer could steer someone's media elsewhere.
    guest.sendText(R"({"type":"media.answer","to":"someone","sdp":"v=0"})");
    CHECK(codeOf(guest.expect("error")) == "relay_disabled");

    guest.sendText(R"({"type":"media.offer","sdp":"v=0\r\nm=audio 9\r\n"})");
    const auto refused = guest.expect("error");
    REQUIRE(refused);
    CHECK(refused->getValue<std::string>("code") == "invalid_sdp");
    CHECK(refused->getValue<std::string>("message").find("line 2") != std::string::npos);
    guest.sendText(R"({"type":"media.offer","sdp":"v=0\r\n","tracks":[1,2]})");
    CHECK(codeOf(guest.expect("error")) == "invalid_request");
}

TEST_CASE("Media offers wait for admission, and a server without a router says so")
{
    SignalingServer server({"--set", "router.enabled=false"});
    const auto room = personalRoom(server.owner);
    WsClient waiting(server.port());
    REQUIRE(codeOf(waiting.join(guestJoin(room, "Waiting"))) == "lobby.waiting");
    waiting.sendText(R"({"type":"media.offer","sdp":"v=0\r\n"})");
    CHECK(codeOf(waiting.expect("error")) == "not_joined");
    auto owner = server.ownerJoins(room);
    owner->sendText(R"({"type":"media.offer","sdp":"v=0\r\n"})");
    CHECK(codeOf(owner->expect("error")) == "media_unavailable");
}
