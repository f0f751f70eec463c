#pragma once

#include "media_fixture.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace parley::test {

/// What a meeting tells the server about the people in it, for the tests that check metrics
/// and logs never repeat it: the directory user alice ("Alice Admin") signs in and a second
/// attempt with a wrong password fails; a local user with names nothing could hold by chance
/// ("zinnia.quokka", "Zinnia Quokkaworth") holds a titled meeting with a PIN, and a named guest
/// joins it; both send each other audio through the router.
struct NamedMeeting
{
    explicit NamedMeeting(SignalingServer& server) : alice(server.port()), zinnia(server.port())
    {
        using namespace std::chrono_literals;
        const auto port = server.port();
        REQUIRE(alice.login("alice", "alice-password").status == 200);
        ApiClient intruder(port);
        CHECK(intruder.login("alice", "wrong-password-Quillfeather").status == 401);

        auto admin = server.admin();
        REQUIRE(admin.call("POST", "/api/v1/users",
                           R"({"username":"zinnia.quokka","displayName":"Zinnia Quokkaworth","password":"zinnia-password-1","role":"user"})")
                    .status == 201);
        REQUIRE(zinnia.login("zinnia.quokka", "zinnia-password-1").status == 200);
        const auto now = std::chrono::system_clock::now();
        meeting = roomFrom(zinnia.call("POST", "/api/v1/rooms",
                                       R"({"title":"Oncology board Wexford","startsAt":")" + isoTime(now) +
                                           R"(","endsAt":")" + isoTime(now + 2h) +
                                           R"(","waitingRoom":false,"pin":"482913"})"));
        link = meeting.link.substr(meeting.link.rfind('/') + 1);
        host = std::make_unique<Attendee>(std::make_unique<WsClient>(port, sessionCookie(zinnia)),
                                          R"("link":")" + meeting.link + "\"", "host");
        guest = std::make_unique<Attendee>(std::make_unique<WsClient>(port),
                                           guestJoin(meeting, "Guest Marchbanks", "482913"), "guest");
        connectAudioBothWays(*host, 1111, *guest, 2222);
        REQUIRE(reaches(*host, 1111, *guest));
        REQUIRE(reaches(*guest, 2222, *host));
    }

    /// Every name, title, secret and path above, as they would be written out.
    std::vector<std::string> personalDetails() const
    {
        return {"alice", "Alice Admin", "uid=alice", "zinnia", "Zinnia Quokkaworth", "Quokka", "Guest Marchbanks",
                "Marchbanks", "Oncology", "Wexford", meeting.meetingId, link, "482913", "Quillfeather",
                "/api/v1/rooms/" + std::to_string(meeting.id)};
    }

    ApiClient alice;
    ApiClient zinnia;
    RoomInfo meeting;
    std::string link; ///< the secret part of the meeting's link
    std::unique_ptr<Attendee> host;
    std::unique_ptr<Attendee> guest;
};

} // namespace parley::test
