// Media through parleyd's own router: real signaling over TLS, ICE, a DTLS-SRTP handshake and
// SRTP over UDP, as a browser does it, and what happens to that media when the meeting ends.
#include "media_fixture.h"

#include <chrono>

using namespace parley::test;
using namespace std::chrono_literals;

TEST_CASE("Everyone's media stops in the router when the meeting is ended or deleted")
{
    SignalingServer server;
    const auto now = std::chrono::system_clock::now();
    const auto meeting = roomFrom(server.owner.call(
        "POST", "/api/v1/rooms",
        R"({"title":"Media","startsAt":")" + isoTime(now) + R"(","endsAt":")" + isoTime(now + 2h) +
            R"(","waitingRoom":false})"));

    // The owner (a moderator) and a guest each publish a microphone and receive the other's.
    Attendee owner(std::make_unique<WsClient>(server.port(), sessionCookie(server.owner)),
                   R"("link":")" + meeting.link + "\"", "owner");
    Attendee guest(std::make_unique<WsClient>(server.port()), guestJoin(meeting, "Guest"), "guest");
    connectAudioBothWays(owner, 1111, guest, 2222);

    REQUIRE(reaches(owner, 1111, guest));
    REQUIRE(reaches(guest, 2222, owner));

    SECTION("the moderator ends the meeting")
    {
        owner.ws->sendText(R"({"type":"end"})");
        REQUIRE(guest.ws->expect("room.ended"));
    }
    SECTION("the owner deletes the meeting")
    {
        REQUIRE(server.owner.call("DELETE", "/api/v1/rooms/" + std::to_string(meeting.id)).status == 204);
        REQUIRE(guest.ws->expect("room.ended"));
    }

    // Both still send from the addresses that passed ICE, with the keys of their DTLS
    // sessions: nothing of it is forwarded any more, in either direction.
    owner.media.drain();
    guest.media.drain();
    CHECK_FALSE(reaches(owner, 1111, guest));
    CHECK_FALSE(reaches(guest, 2222, owner));
}
