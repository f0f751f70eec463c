// Sharing a meeting: GET /api/v1/rooms/{id}/calendar.ics and /invitation-text (docs/api.md).
#include "signaling_fixture.h"

#include "child_process.h"
#include "temp_dir.h"

using namespace parley::test;
using namespace std::chrono_literals;
using Catch::Contains;

namespace {

/// A meeting starting at the next full hour plus one day, for an hour.
struct Scheduled
{
    RoomInfo room;
    std::string path;
    std::string startsAt;
    std::string endsAt;
    std::string pin = "0042";
};

Scheduled scheduleMeeting(ApiClient& owner, const std::string& title)
{
    const auto start = std::chrono::floor<std::chrono::hours>(std::chrono::system_clock::now()) + 25h;
    Scheduled meeting;
    meeting.startsAt = isoTime(start);
    meeting.endsAt = isoTime(start + 1h);
    const auto created = owner.call("POST", "/api/v1/rooms",
                                    R"({"title":)" + jsonString(title) + R"(,"startsAt":")" + meeting.startsAt +
                                        R"(","endsAt":")" + meeting.endsAt + R"(","pin":")" + meeting.pin + "\"}");
    meeting.room = roomFrom(created);
    meeting.path = "/api/v1/rooms/" + std::to_string(meeting.room.id);
    return meeting;
}

/// One GET over its own connection with exactly the Host line given ("" for none: HTTP/1.0).
HttpResponse getWithHost(std::uint16_t port, const std::string& target, const ApiClient& client,
                         const std::string& hostLine)
{
    TlsClient tls(port);
    tls.write("GET " + target + (hostLine.empty() ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n" + hostLine + "\r\n") +
              "Connection: close\r\nCookie: " + sessionCookie(client) + "\r\n\r\n");
    return parseHttpResponse(tls.readAll());
}

/// The DTSTART form python's icalendar prints for an ISO time: 2026-11-23T14:00:00+00:00.
std::string pythonTime(const std::string& iso)
{
    return iso.substr(0, 19) + "+00:00";
}

} // namespace

TEST_CASE("A meeting's calendar file is RFC 5545 that a real iCalendar parser reads back")
{
    SignalingServer server;
    const std::string title = "Ward round; weekly, Überprüfung ✓";
    const auto meeting = scheduleMeeting(server.owner, title);
    const auto response = server.owner.call("GET", meeting.path + "/calendar.ics");
    REQUIRE(response.status == 200);
    CHECK(response.header("content-type") == "text/calendar; charset=utf-8");
    CHECK(response.header("content-disposition") ==
          "attachment; filename=\"meeting-" + meeting.room.meetingId + ".ics\"");
    CHECK(response.header("cache-control") == "no-store");
    const auto& file = response.body;
    CHECK(file.rfind("BEGIN:VCALENDAR\r\n", 0) == 0);
    CHECK(file.substr(file.size() - 15) == "END:VCALENDAR\r\n");
    CHECK(file.find("\n") == file.find("\r\n") + 1); // CRLF, not bare LF
    CHECK_THAT(file, Contains("\r\nMETHOD:PUBLISH\r\n") && Contains("\r\nVERSION:2.0\r\n"));

    TempDir dir;
    writeFile(dir / "meeting.ics", file);
    // Python's icalendar (Debian's python3-icalendar) unfolds, unescapes and types every value.
    const std::string script =
        "import sys\n"
        "from icalendar import Calendar\n"
        "calendar = Calendar.from_ical(open(sys.argv[1], \"rb\").read())\n"
        "events = [c for c in calendar.walk() if c.name == \"VEVENT\"]\n"
        "print(\"EVENTS=%d\" % len(events))\n"
        "event = events[0]\n"
        "print(\"METHOD=\" + str(calendar.get(\"method\")))\n"
        "print(\"VERSION=\" + str(calendar.get(\"version\")))\n"
        "print(\"SUMMARY=\" + str(event.get(\"summary\")))\n"
        "print(\"DTSTART=\" + event.decoded(\"dtstart\").isoformat())\n"
        "print(\"DTEND=\" + event.decoded(\"dtend\").isoformat())\n"
        "print(\"URL=\" + str(event.get(\"url\")))\n"
        "print(\"LOCATION=\" + str(event.get(\"location\")))\n"
        "print(\"UID=\" + str(event.get(\"uid\")))\n"
        "print(\"DESCRIPTION=\" + str(event.get(\"description\")).replace(\"\\n\", \"|\"))\n"
        "print(\"ATTENDEE=\" + str(\"attendee\" in event))\n";
    REQUIRE(script.find('\'') == std::string::npos);
    // Debian's interpreter by its path: python3-icalendar is installed for it, and a python3
    // found first on PATH (pyenv, a virtualenv) would not see it.
    const auto output =
        shellOutput("PYTHONIOENCODING=utf-8 /usr/bin/python3 -c '" + script + "' " + (dir / "meeting.ics").string());
    INFO(output);
    const auto link = "https://localhost/join/" + meeting.room.link; // the test client sends Host: localhost
    CHECK_THAT(output, Contains("EVENTS=1\n"));
    CHECK_THAT(output, Contains("METHOD=PUBLISH\n"));
    CHECK_THAT(output, Contains("VERSION=2.0\n"));
    CHECK_THAT(output, Contains("SUMMARY=" + title + "\n"));
    CHECK_THAT(output, Contains("DTSTART=" + pythonTime(meeting.startsAt) + "\n"));
    CHECK_THAT(output, Contains("DTEND=" + pythonTime(meeting.endsAt) + "\n"));
    CHECK_THAT(output, Contains("URL=" + link + "\n"));
    CHECK_THAT(output, Contains("LOCATION=" + link + "\n"));
    CHECK_THAT(output, Contains("UID=meeting-" + meeting.room.meetingId + "@localhost\n"));
    CHECK_THAT(output, Contains("DESCRIPTION=Join: " + link + "|"));
    CHECK_THAT(output, Contains("Meeting ID: " + meeting.room.meetingId + "|"));
    CHECK_THAT(output, Contains("PIN: " + meeting.pin + "|"));
    CHECK_THAT(output, Contains("ATTENDEE=False\n"));

    // The same meeting always has the same UID, so importing it again updates the entry.
    const auto again = server.owner.call("GET", meeting.path + "/calendar.ics").body;
    CHECK_THAT(again, Contains("UID:meeting-" + meeting.room.meetingId + "@localhost\r\n"));
}

TEST_CASE("Calendar files and invitation texts are only for those who manage the room")
{
    SignalingServer server;
    auto stranger = server.userWithRole("stranger", "user");
    auto helper = server.userWithRole("helper", "user");
    const auto meeting = scheduleMeeting(server.owner, "Board");
    CHECK(server.owner.call("PATCH", meeting.path, R"({"moderators":["helper"]})").status == 200);
    for (const std::string resource : {"/calendar.ics", "/invitation-text"}) {
        INFO(resource);
        CHECK(errorCode(stranger.call("GET", meeting.path + resource)) == "not_found");
        CHECK(httpsRequest(server.port(), "GET", meeting.path + resource).status == 401);
        CHECK(helper.call("GET", meeting.path + resource).status == 200);
        CHECK(server.admin().call("GET", meeting.path + resource).status == 200);
        CHECK(errorCode(server.owner.call("GET", "/api/v1/rooms/999999" + resource)) == "not_found");
        CHECK(errorCode(server.owner.call("GET", "/api/v1/rooms/-1" + resource)) == "not_found");
        CHECK(errorCode(server.owner.call("GET", "/api/v1/rooms/x" + resource)) == "not_found");
        CHECK(errorCode(server.owner.call("GET", "/api/v1/rooms/99999999999999999999" + resource)) == "not_found");
        CHECK(errorCode(server.owner.call("POST", meeting.path + resource, "{}")) == "method_not_allowed");
        CHECK(errorCode(server.owner.call("DELETE", meeting.path + resource)) == "method_not_allowed");
    }
    // A personal room has no times to put in a calendar.
    const auto personal = personalRoom(server.owner);
    CHECK(errorCode(server.owner.call("GET", "/api/v1/rooms/" + std::to_string(personal.id) + "/calendar.ics")) ==
          "personal_room");
}

TEST_CASE("A text invitation gives the times in UTC, and in the reader's zone when the browser sends its offset")
{
    SignalingServer server;
    const auto meeting = scheduleMeeting(server.owner, "Ward round");
    const auto plain = server.owner.call("GET", meeting.path + "/invitation-text");
    REQUIRE(plain.status == 200);
    const auto body = json(plain.body);
    CHECK(body->getValue<std::string>("subject") == "Invitation: Ward round");
    const auto text = body->getValue<std::string>("text");
    CHECK_THAT(text, Contains("Starts: " + meeting.startsAt + "\n") && Contains("Ends:   " + meeting.endsAt + "\n"));
    CHECK_THAT(text, Contains("Join: https://localhost/join/" + meeting.room.link + "\n"));
    CHECK_THAT(text, Contains("Meeting ID: " + meeting.room.meetingId + "\n") && Contains("PIN: 0042\n"));
    CHECK_THAT(text, Contains("browser"));
    CHECK(body->size() == 2);

    const auto local = json(server.owner.call("GET", meeting.path + "/invitation-text?offset=-330").body)
                           ->getValue<std::string>("text");
    CHECK_THAT(local, Contains("Starts: " + meeting.startsAt + " (") && Contains(" UTC-05:30)\n"));
    CHECK(server.owner.call("GET", meeting.path + "/invitation-text?offset=%2B60").status == 200); // "+60"

    for (const std::string bad : {"offset=", "offset=841", "offset=-841", "offset=60.5", "offset=1e2", "offset=abc",
                                  "offset=%2B-60", "offset=99999999999999999999", "offset=60%00", "tz=Europe/Berlin"}) {
        INFO(bad);
        const auto refused = server.owner.call("GET", meeting.path + "/invitation-text?" + bad);
        if (bad == "offset=")
            CHECK(refused.status == 200); // empty is absent
        else
            CHECK(errorCode(refused) == "invalid_request");
    }

    // A personal room's invitation has no times.
    const auto personal = personalRoom(server.owner, R"({"pin":""})");
    const auto personalText = json(server.owner.call("GET", "/api/v1/rooms/" + std::to_string(personal.id) +
                                                                "/invitation-text?offset=60")
                                       .body)
                                  ->getValue<std::string>("text");
    CHECK_THAT(personalText, !Contains("Starts") && !Contains("PIN") &&
                                 Contains("Join: https://localhost/join/" + personal.link + "\n") &&
                                 Contains("Meeting ID: " + personal.meetingId));
}

TEST_CASE("Join links use the Host asked for only when it is a plain host, and server.public_url over it")
{
    SignalingServer server;
    const auto meeting = scheduleMeeting(server.owner, "Ward round");
    const auto target = meeting.path + "/invitation-text";
    const auto joinUrl = [&](const std::string& hostLine) {
        const auto response = getWithHost(server.port(), target, server.owner, hostLine);
        REQUIRE(response.status == 200);
        const auto text = json(response.body)->getValue<std::string>("text");
        const auto start = text.find("Join: ") + 6;
        return text.substr(start, text.find('\n', start) - start);
    };
    const auto path = "/join/" + meeting.room.link;
    CHECK(joinUrl("Host: Meet.Example.org") == "https://meet.example.org" + path);
    CHECK(joinUrl("Host: meet.example.org:8443") == "https://meet.example.org:8443" + path);
    CHECK(joinUrl("Host: meet.example.org:443") == "https://meet.example.org" + path);
    CHECK(joinUrl("Host: [::1]:9000") == "https://[::1]:9000" + path);
    // Anything else falls back to the address the request arrived on.
    const auto fallback = "https://127.0.0.1:" + std::to_string(server.port()) + path;
    for (const std::string hostile : {"Host: evil.example.org/phish?", "Host: user@evil.example.org",
                                      "Host: evil.example.org:99999", "Host: evil.example.org:80:80",
                                      "Host: <script>", "Host: evil.example.org%0d%0aX: y", "Host: "}) {
        INFO(hostile);
        CHECK(joinUrl(hostile) == fallback);
    }
    CHECK(joinUrl("") == fallback); // HTTP/1.0 without Host

    // The calendar file follows the same rule: its UID and links never carry a bad Host.
    const auto ics = getWithHost(server.port(), meeting.path + "/calendar.ics", server.owner,
                                 "Host: evil.example.org/x\r\nATTENDEE: evil");
    REQUIRE(ics.status == 200);
    CHECK_THAT(ics.body, !Contains("evil") && !Contains("ATTENDEE"));
    CHECK_THAT(ics.body, Contains("\r\nUID:meeting-" + meeting.room.meetingId + "@127.0.0.1\r\n"));
}

TEST_CASE("server.public_url names the join links and calendar entries whatever Host is asked for")
{
    SignalingServer server({"--set", "server.public_url=https://Meet.Example.org/"});
    const auto meeting = scheduleMeeting(server.owner, "Ward round");
    const auto text = json(getWithHost(server.port(), meeting.path + "/invitation-text", server.owner,
                                       "Host: other.example.org")
                               .body)
                          ->getValue<std::string>("text");
    CHECK_THAT(text, Contains("Join: https://meet.example.org/join/" + meeting.room.link + "\n"));
    auto ics = server.owner.call("GET", meeting.path + "/calendar.ics").body;
    // Unfolded (RFC 5545 3.1): the join link is longer than a line.
    for (std::size_t fold; (fold = ics.find("\r\n ")) != std::string::npos;)
        ics.erase(fold, 3);
    CHECK_THAT(ics, Contains("\r\nUID:meeting-" + meeting.room.meetingId + "@meet.example.org\r\n"));
    CHECK_THAT(ics, Contains("\r\nURL:https://meet.example.org/join/" + meeting.room.link + "\r\n"));
}

TEST_CASE("Hostile meeting titles are refused before they can reach a calendar file")
{
    SignalingServer server;
    const auto now = std::chrono::system_clock::now();
    const auto times = R"(,"startsAt":")" + isoTime(now + 1h) + R"(","endsAt":")" + isoTime(now + 2h) + "\"}";
    for (const std::string& title : std::vector<std::string>{"x\r\nATTENDEE:mailto:evil@example.org", "x\nEND:VEVENT", "x\rBEGIN:VALARM",
                                    std::string("x\0y", 3), "x\u0085ATTENDEE:evil"}) {
        INFO(title);
        CHECK(errorCode(server.owner.call("POST", "/api/v1/rooms", R"({"title":)" + jsonString(title) + times)) ==
              "invalid_request");
    }
    // A long multi-byte title within the limit is folded, not cut.
    std::string longTitle;
    for (int i = 0; i < 66; ++i)
        longTitle += "日📅é";
    const auto meeting = scheduleMeeting(server.owner, longTitle);
    const auto ics = server.owner.call("GET", meeting.path + "/calendar.ics").body;
    std::size_t lines = 0;
    for (std::size_t start = 0, end; (end = ics.find("\r\n", start)) != std::string::npos; start = end + 2) {
        CHECK(end - start <= 75);
        ++lines;
    }
    CHECK(lines > 20);
}
