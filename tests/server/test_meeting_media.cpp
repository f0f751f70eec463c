// Media through parleyd's own router: real signaling over TLS, ICE, a DTLS-SRTP handshake and
// SRTP over UDP, as a browser does it, and what happens to that media when the meeting ends.
#include "media_fixture.h"

#include <chrono>

using namespace parley::test;
using namespace std::chrono_literals;

TEST_CASE("Everyone's media stops in the router when the meeting is ended or deleted")
{
    SignalingServer server;
    const auto meeting = openMeeting(server, "Media");
    // The owner (a moderator) and a guest each publish a microphone and receive the other's.
    OwnerAndGuest people(server, meeting);
    auto& owner = people.owner;
    auto& guest = people.guest;
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

TEST_CASE("While a publisher's link loses packets, the pages receiving it are told how long to buffer its audio and video")
{
    SignalingServer server;
    OwnerAndGuest people(server, openMeeting(server, "Buffering"));
    auto& owner = people.owner;
    auto& guest = people.guest;
    // The owner publishes a camera (offering NACK), the guest receives it.
    owner.negotiate({{"0", "video", "sendonly", 4444, true}}, {});
    REQUIRE(owner.media.connect());
    guest.negotiate({{"0", "video", "recvonly", 0, true}}, {{"0", owner.id + "/0"}});
    REQUIRE(guest.media.connect());

    // One packet in ten lost on the way in, each resent when the router asks.
    std::uint16_t seq = 0;
    const auto until = std::chrono::steady_clock::now() + 3500ms;
    while (std::chrono::steady_clock::now() < until) {
        for (int i = 0; i < 5; ++i, ++seq)
            if (seq % 10 != 5)
                owner.media.sendRtp(4444, 96, seq, 0);
        owner.media.nackedSequences.clear();
        owner.media.receiveRtp(20ms);
        for (const auto nacked : owner.media.nackedSequences)
            owner.media.sendRtp(4444, 96, nacked, 0);
        guest.media.receiveRtp(10ms);
    }
    const auto buffer = guest.ws->expect("media.buffer", 5s);
    REQUIRE(buffer);
    const auto publishers = buffer->getObject("publishers");
    REQUIRE(publishers);
    CHECK(publishers->size() == 1);
    REQUIRE(publishers->has(owner.id));
    CHECK(publishers->getValue<int>(owner.id) >= 50);
    CHECK(publishers->getValue<int>(owner.id) <= 400);
    // The owner receives nothing: nothing to buffer, nothing said.
    CHECK_FALSE(owner.ws->receives("media.buffer", 1500ms));
}
