// The admin console's own endpoints against a real parleyd: the overview, meetings in
// progress with each person's media as the router measures it, removing people and ending
// meetings, and the paged, searchable lists of users, rooms and recordings.
#include "ldap_args.h"
#include "media_fixture.h"

#include <Poco/JSON/Array.h>

#include <chrono>
#include <functional>
#include <thread>

using namespace parley::test;
using namespace std::chrono_literals;

namespace {

/// The person named `name` in an admin's view of a meeting, or nullptr.
Poco::JSON::Object::Ptr person(const Poco::JSON::Object::Ptr& meeting, const std::string& name)
{
    const auto people = meeting->getArray("people");
    for (std::size_t i = 0; i < people->size(); ++i) {
        const auto entry = people->getObject(static_cast<unsigned>(i));
        if (entry->getValue<std::string>("name") == name)
            return entry;
    }
    return nullptr;
}

/// Both send audio to each other for `duration`, so that the router has a second's rates.
void talk(Attendee& a, std::uint32_t ssrcA, Attendee& b, std::uint32_t ssrcB, std::chrono::milliseconds duration)
{
    const auto end = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < end) {
        a.media.sendRtp(ssrcA, 111, a.sequence++, 0x40);
        b.media.sendRtp(ssrcB, 111, b.sequence++, 0x40);
        std::this_thread::sleep_for(10ms);
    }
}

} // namespace

TEST_CASE("An admin sees a meeting in progress with each person's media, removes a person and ends it")
{
    SignalingServer server;
    auto admin = server.admin();
    const auto now = std::chrono::system_clock::now();
    const auto meeting = roomFrom(server.owner.call(
        "POST", "/api/v1/rooms",
        R"({"title":"Ward rounds","startsAt":")" + isoTime(now) + R"(","endsAt":")" + isoTime(now + 2h) +
            R"(","waitingRoom":false})"));
    const auto path = "/api/v1/admin/meetings/" + std::to_string(meeting.id);

    // Nobody in it yet: nothing live.
    CHECK(json(admin.call("GET", "/api/v1/admin/meetings").body)->getArray("meetings")->size() == 0);
    CHECK(admin.call("GET", path).status == 404);
    CHECK(errorCode(admin.call("GET", path)) == "meeting_not_live");

    Attendee owner(std::make_unique<WsClient>(server.port(), sessionCookie(server.owner)),
                   R"("link":")" + meeting.link + "\"", "owner");
    Attendee guest(std::make_unique<WsClient>(server.port()), guestJoin(meeting, "Visitor"), "guest");
    connectAudioBothWays(owner, 1111, guest, 2222);
    REQUIRE(reaches(owner, 1111, guest));
    REQUIRE(reaches(guest, 2222, owner));
    talk(owner, 1111, guest, 2222, 2500ms);

    const auto overview = json(admin.call("GET", "/api/v1/admin/overview").body);
    CHECK(overview->getValue<int>("liveMeetings") == 1);
    CHECK(overview->getValue<int>("participants") == 2);
    CHECK(overview->getValue<int>("waiting") == 0);
    CHECK(overview->getValue<std::string>("version") == "0.1.0");
    CHECK(overview->getValue<std::int64_t>("uptimeSeconds") >= 0);
    const auto media = overview->getObject("media");
    CHECK(media->getValue<bool>("available"));
    CHECK(media->getValue<std::int64_t>("bitsPerSecondIn") > 10000);
    CHECK(media->getValue<std::int64_t>("bitsPerSecondOut") > 10000);
    CHECK(media->getValue<double>("packetLossPercent") == 0);
    CHECK(media->getValue<double>("routerCpuPercent") >= 0);
    CHECK(overview->getObject("recordings")->getValue<int>("running") == 0);
    CHECK(overview->getObject("volume")->getValue<std::string>("state") == "unavailable");
    CHECK_FALSE(overview->getObject("directory")->getValue<bool>("enabled"));

    const auto list = json(admin.call("GET", "/api/v1/admin/meetings").body)->getArray("meetings");
    REQUIRE(list->size() == 1);
    const auto listed = list->getObject(0);
    CHECK(listed->getValue<std::int64_t>("roomId") == meeting.id);
    CHECK(listed->getValue<std::string>("title") == "Ward rounds");
    CHECK(listed->getObject("owner")->getValue<std::string>("username") == "owner");
    CHECK(listed->getValue<int>("participants") == 2);
    CHECK_FALSE(listed->getValue<bool>("recording"));

    // The guest's browser reports its round trip; only the admin sees it.
    guest.ws->sendText(R"({"type":"stats","roundTripMs":42.5})");
    guest.ws->sendText(R"({"type":"ping"})");
    REQUIRE(guest.ws->expect("pong"));
    const auto detail = json(admin.call("GET", path).body);
    const auto visitor = person(detail, "Visitor");
    const auto host = person(detail, "owner");
    REQUIRE(visitor);
    REQUIRE(host);
    CHECK(visitor->getValue<bool>("guest"));
    CHECK(visitor->isNull("username"));
    CHECK_FALSE(visitor->getValue<bool>("moderator"));
    CHECK(visitor->getValue<std::string>("state") == "in");
    CHECK(visitor->getValue<double>("roundTripMs") == 42.5);
    CHECK(visitor->getValue<std::int64_t>("bitsPerSecondIn") > 10000);
    CHECK(visitor->getValue<std::int64_t>("bitsPerSecondOut") > 10000);
    CHECK(visitor->getValue<double>("packetLossPercent") == 0);
    CHECK(host->getValue<std::string>("username") == "owner");
    CHECK(host->getValue<bool>("moderator"));
    CHECK(host->isNull("roundTripMs"));

    // Removing the guest: told so, their connection closes and their media stops at once.
    const auto visitorId = visitor->getValue<std::string>("participantId");
    CHECK(admin.call("DELETE", path + "/participants/" + visitorId).status == 204);
    const auto removed = guest.ws->expect("removed");
    REQUIRE(removed);
    CHECK(removed->getValue<std::string>("reason") == "removed_by_admin");
    REQUIRE(owner.ws->expect("participant.left"));
    owner.media.drain();
    guest.media.drain();
    CHECK_FALSE(reaches(guest, 2222, owner));
    CHECK(admin.call("DELETE", path + "/participants/" + visitorId).status == 404);
    CHECK(auditCount(admin, "action=participant.kick&actor=admin") == 1);
    CHECK(json(admin.call("GET", path).body)->getArray("people")->size() == 1);

    // Ending it: the owner is told, nothing is live afterwards, and it is on record.
    CHECK(admin.call("DELETE", path).status == 204);
    const auto ended = owner.ws->expect("room.ended");
    REQUIRE(ended);
    CHECK(ended->getValue<std::string>("reason") == "ended_by_admin");
    CHECK(admin.call("GET", path).status == 404);
    CHECK(json(admin.call("GET", "/api/v1/admin/overview").body)->getValue<int>("liveMeetings") == 0);
    CHECK(auditCount(admin, "action=room.end&actor=admin") == 1);
    // A scheduled meeting ended by an admin stays ended.
    WsClient late(server.port());
    CHECK(codeOf(late.join(guestJoin(meeting, "Late"))) == "meeting_ended");
}

TEST_CASE("A round trip report that is not a number of milliseconds is refused and changes nothing")
{
    SignalingServer server;
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    auto ws = server.ownerJoins(room);
    for (const std::string bad : {R"("roundTripMs":"12")", R"("roundTripMs":-1)", R"("roundTripMs":1e9)",
                                  R"("roundTripMs":null)", R"("roundTripMs":[1])", ""}) {
        INFO(bad);
        ws->sendText(R"({"type":"stats")" + (bad.empty() ? "" : "," + bad) + "}");
        CHECK(codeOf(ws->expect("error")) == "invalid_message");
    }
    ws->sendText(R"({"type":"ping"})");
    CHECK(ws->expect("pong"));
    auto admin = server.admin();
    const auto detail = json(admin.call("GET", "/api/v1/admin/meetings/" + std::to_string(room.id)).body);
    CHECK(person(detail, "owner")->isNull("roundTripMs"));
}

TEST_CASE("An admin pages and searches users, sees their last sign-in, and resets a password shown once")
{
    ServerWithAdmin server;
    auto admin = server.admin();
    for (const auto& [name, display] : std::vector<std::pair<std::string, std::string>>{
             {"nurse.odegaard", "Nora Ödegaard"}, {"nurse.smith", "Sam Smith"}, {"dr.jones", "Ann Jones"}}) {
        REQUIRE(admin.call("POST", "/api/v1/users",
                           R"({"username":")" + name + R"(","password":")" + name + R"(-password","displayName":")" +
                               display + "\"}")
                    .status == 201);
    }
    const auto page = [&](const std::string& query) { return json(admin.call("GET", "/api/v1/users?" + query).body); };
    CHECK(page("q=nurse")->getValue<int>("total") == 2);
    CHECK(page("q=%C3%96DEG")->getValue<int>("total") == 1); // "ÖDEG": any script, any case
    CHECK(page("q=jones")->getArray("users")->getObject(0)->getValue<std::string>("username") == "dr.jones");
    CHECK(page("q=nobody")->getValue<int>("total") == 0);
    const auto paged = page("per_page=2&page=2");
    CHECK(paged->getValue<int>("total") == 4);
    CHECK(paged->getArray("users")->size() == 2);
    CHECK(admin.call("GET", "/api/v1/users?q=" + std::string(300, 'a')).status == 400);

    // Never signed in: no last login. After signing in, a time.
    auto jones = page("q=dr.jones")->getArray("users")->getObject(0);
    CHECK(jones->isNull("lastLoginAt"));
    CHECK(jones->getValue<std::string>("source") == "local");
    ApiClient client(server.port());
    REQUIRE(client.login("dr.jones", "dr.jones-password").status == 200);
    jones = page("q=dr.jones")->getArray("users")->getObject(0);
    CHECK(jones->getValue<std::string>("lastLoginAt").size() == 24);
    const auto id = std::to_string(jones->getValue<std::int64_t>("id"));

    // A generated password: shown once, works at once, and the old one and the old session stop.
    const auto reset = admin.call("POST", "/api/v1/users/" + id + "/password", R"({"generate":true})");
    REQUIRE(reset.status == 200);
    CHECK(reset.header("cache-control").find("no-store") != std::string::npos);
    const auto generated = json(reset.body)->getValue<std::string>("password");
    CHECK(generated.size() == 23);
    CHECK(client.call("GET", "/api/v1/auth/session").status == 401);
    CHECK(ApiClient(server.port()).login("dr.jones", "dr.jones-password").status == 401);
    CHECK(ApiClient(server.port()).login("dr.jones", generated).status == 200);
    CHECK(json(admin.call("POST", "/api/v1/users/" + id + "/password", R"({"generate":true})").body)
              ->getValue<std::string>("password") != generated);
    CHECK(admin.call("POST", "/api/v1/users/" + id + "/password", R"({"generate":true,"password":"x-password-1"})")
              .status == 400);
    CHECK(admin.call("POST", "/api/v1/users/" + id + "/password", R"({})").status == 400);
    CHECK(admin.call("POST", "/api/v1/users/" + id + "/password", R"({"generate":"yes"})").status == 400);
    CHECK(auditCount(admin, "action=user.password_reset") == 2);
}

TEST_CASE("An admin searches every room and every recording, whoever owns them")
{
    SignalingServer server;
    auto admin = server.admin();
    auto other = server.userWithRole("cardiology", "user");
    const auto now = std::chrono::system_clock::now();
    const auto times = R"(","startsAt":")" + isoTime(now + 1h) + R"(","endsAt":")" + isoTime(now + 2h) + "\"}";
    REQUIRE(server.owner.call("POST", "/api/v1/rooms", R"({"title":"Tumour board)" + times).status == 201);
    REQUIRE(other.call("POST", "/api/v1/rooms", R"({"title":"Échocardiographie review)" + times).status == 201);
    personalRoom(server.owner);
    personalRoom(other);

    const auto rooms = [&](const std::string& query) { return json(admin.call("GET", "/api/v1/admin/rooms?" + query).body); };
    CHECK(rooms("")->getValue<int>("total") == 4);
    CHECK(rooms("kind=meeting")->getValue<int>("total") == 2);
    CHECK(rooms("kind=personal")->getValue<int>("total") == 2);
    const auto found = rooms("q=%C3%A9CHO"); // "éCHO"
    REQUIRE(found->getValue<int>("total") == 1);
    const auto room = found->getArray("rooms")->getObject(0);
    CHECK(room->getValue<std::string>("owner") == "cardiology");
    CHECK(room->has("ownerDisplayName"));
    CHECK(room->getValue<std::string>("title") == "Échocardiographie review");
    CHECK(rooms("q=cardiology")->getValue<int>("total") == 2); // by owner: a meeting and a personal room
    CHECK(rooms("q=" + room->getValue<std::string>("meetingId"))->getValue<int>("total") == 1);
    CHECK(rooms("per_page=1&page=3")->getArray("rooms")->size() == 1);
    CHECK(admin.call("GET", "/api/v1/admin/rooms?kind=secret").status == 400);
    CHECK(admin.call("GET", "/api/v1/admin/rooms?per_page=0").status == 400);

    // No volume here: the list says why it cannot tell the space left.
    const auto recordings = json(admin.call("GET", "/api/v1/admin/recordings?q=board").body);
    CHECK(recordings->getValue<int>("total") == 0);
    const auto storage = recordings->getObject("storage");
    CHECK(storage->isNull("freeBytes"));
    CHECK_FALSE(storage->getValue<std::string>("unavailable").empty());
    CHECK(admin.call("GET", "/api/v1/admin/recordings?q=" + std::string(300, 'x')).status == 400);

    // The volume page says what to run as root; the server never sees a key.
    const auto volume = json(admin.call("GET", "/api/v1/admin/volume").body);
    CHECK(volume->getObject("commands")->getValue<std::string>("unlock") == "sudo parleyctl volume unlock");
    CHECK(volume->isNull("keySlots"));
    CHECK_FALSE(volume->getValue<std::string>("keySlotsUnknown").empty());
}

TEST_CASE("The admin console's endpoints refuse users and auditors, on record, and changes need the CSRF token")
{
    SignalingServer server;
    auto user = server.userWithRole("plain", "user");
    auto auditor = server.userWithRole("reader", "auditor");
    auto admin = server.admin();
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    auto ws = server.ownerJoins(room);
    const auto meeting = "/api/v1/admin/meetings/" + std::to_string(room.id);
    const std::vector<std::pair<std::string, std::string>> routes{
        {"GET", "/api/v1/admin/overview"}, {"GET", "/api/v1/admin/meetings"},   {"GET", meeting},
        {"DELETE", meeting},               {"DELETE", meeting + "/participants/x"}, {"GET", "/api/v1/admin/rooms"},
        {"GET", "/api/v1/admin/recordings"},
    };
    int refusals = 0;
    for (const auto& [method, path] : routes) {
        INFO(method << " " << path);
        for (auto* client : {&user, &auditor}) {
            const auto response = client->call(method, path);
            CHECK(response.status == 403);
            ++refusals;
        }
        if (method == "DELETE") {
            const auto response = admin.call(method, path, "", false);
            CHECK(response.status == 403);
            CHECK(errorCode(response) == "csrf_failed");
        }
    }
    // Nothing happened: the owner is still in the meeting.
    CHECK(json(admin.call("GET", meeting).body)->getArray("people")->size() == 1);
    CHECK(auditCount(admin, "action=access.denied&actor=plain") + auditCount(admin, "action=access.denied&actor=reader") ==
          refusals);
    CHECK(admin.call("DELETE", "/api/v1/admin/meetings/abc").status == 404);
    CHECK(admin.call("DELETE", meeting + "/participants/" + std::string(100, 'p')).status == 404);
}

TEST_CASE("The overview says whether the directory answers, and tests new directory settings at once")
{
    SlapdServer slapd;
    ServerWithAdmin server(ldapArgs(slapd));
    auto admin = server.admin();
    const auto directory = [&] { return json(admin.call("GET", "/api/v1/admin/overview").body)->getObject("directory"); };
    const auto waitFor = [&](const std::function<bool(const Poco::JSON::Object::Ptr&)>& done) {
        for (int i = 0; i < 100; ++i) {
            const auto state = directory();
            if (done(state))
                return state;
            std::this_thread::sleep_for(100ms);
        }
        return directory();
    };
    const auto reachable = waitFor([](const auto& d) { return !d->isNull("reachable"); });
    CHECK(reachable->getValue<bool>("enabled"));
    CHECK(reachable->getValue<bool>("reachable"));
    CHECK_FALSE(reachable->isNull("checkedAt"));

    // Saved settings naming a port where nothing listens: not known at once (the old result
    // was about other settings), then unreachable, well before the next minute's round.
    REQUIRE(admin.call("PUT", "/api/v1/admin/ldap", R"({"uris":["ldap://127.0.0.1:9"]})").status == 200);
    const auto after = waitFor([](const auto& d) { return !d->isNull("reachable"); });
    REQUIRE_FALSE(after->isNull("reachable"));
    CHECK_FALSE(after->getValue<bool>("reachable"));
    CHECK(after->getValue<std::string>("message").find("connect") == 0);
}
