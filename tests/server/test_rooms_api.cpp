#include "signaling_fixture.h"

#include <parley/storage/database.h>
#include <parley/storage/room_store.h>
#include <parley/storage/user_store.h>

#include <filesystem>
#include <set>

using namespace parley::test;
using namespace std::chrono_literals;

namespace {

std::string meetingBody(const std::string& extra = {})
{
    const auto now = std::chrono::system_clock::now();
    return R"({"title":"Ward round","startsAt":")" + isoTime(now) + R"(","endsAt":")" + isoTime(now + 1h) +
           "\"" + extra + "}";
}

} // namespace

TEST_CASE("Every user has one personal room, and meetings get distinct 9-digit IDs")
{
    SignalingServer server;
    const auto first = json(server.owner.call("GET", "/api/v1/rooms").body)->getArray("rooms");
    const auto second = json(server.owner.call("GET", "/api/v1/rooms").body)->getArray("rooms");
    REQUIRE(first->size() == 1);
    REQUIRE(second->size() == 1);
    const auto personal = first->getObject(0);
    CHECK(personal->getValue<std::string>("kind") == "personal");
    CHECK(personal->getValue<std::int64_t>("id") == second->getObject(0)->getValue<std::int64_t>("id"));
    CHECK(personal->getValue<std::string>("link").size() >= 40);

    std::set<std::string> ids{personal->getValue<std::string>("meetingId")};
    for (int i = 0; i < 30; ++i) {
        const auto created = server.owner.call("POST", "/api/v1/rooms", meetingBody());
        REQUIRE(created.status == 201);
        const auto id = json(created.body)->getValue<std::string>("meetingId");
        CHECK(id.size() == 9);
        CHECK(id.find_first_not_of("0123456789") == std::string::npos);
        ids.insert(id);
    }
    CHECK(ids.size() == 31);
    CHECK(json(server.owner.call("GET", "/api/v1/rooms").body)->getArray("rooms")->size() == 31);
}

TEST_CASE("Meeting input is validated")
{
    SignalingServer server;
    const auto now = std::chrono::system_clock::now();
    const auto post = [&](const std::string& body) { return server.owner.call("POST", "/api/v1/rooms", body); };
    CHECK(errorCode(post(R"({"title":"No times"})")) == "invalid_request");
    CHECK(errorCode(post(R"({"title":"Backwards","startsAt":")" + isoTime(now + 2h) + R"(","endsAt":")" +
                         isoTime(now + 1h) + "\"}")) == "invalid_request");
    CHECK(errorCode(post(R"({"title":"Past","startsAt":")" + isoTime(now - 2h) + R"(","endsAt":")" +
                         isoTime(now - 1h) + "\"}")) == "invalid_request");
    CHECK(errorCode(post(R"({"title":"Bad time","startsAt":"tomorrow","endsAt":"later"})")) == "invalid_request");
    CHECK(errorCode(post(meetingBody(R"(,"title":"")"))) == "invalid_request");
    CHECK(errorCode(post(meetingBody(R"(,"pin":"12ab")"))) == "invalid_pin");
    CHECK(errorCode(post(meetingBody(R"(,"pin":"12")"))) == "invalid_pin");
    CHECK(errorCode(post(meetingBody(R"(,"moderators":["nobody-by-that-name"])"))) == "invalid_request");
    CHECK(errorCode(post(meetingBody(R"(,"moderators":"owner")"))) == "invalid_request");
    CHECK(errorCode(post("[]")) == "invalid_json");
    // Nothing refused was stored or audited: only the personal room exists.
    CHECK(json(server.owner.call("GET", "/api/v1/rooms").body)->getArray("rooms")->size() == 1);
    CHECK(auditCount(server.admin(), "action=meeting.create") == 0);

    CHECK(post(meetingBody(R"(,"pin":"0042","moderators":["admin"])")).status == 201);
    // One entry for the whole creation, naming its moderators.
    const auto entries = json(server.admin().call("GET", "/api/v1/audit?action=meeting.create").body)->getArray("entries");
    REQUIRE(entries->size() == 1);
    const auto moderators = entries->getObject(0)->getObject("details")->getArray("moderators");
    REQUIRE(moderators);
    CHECK(moderators->getElement<std::string>(0) == "admin");
    CHECK(auditCount(server.admin(), "action=room.update") == 0);
}

TEST_CASE("The admin's PIN policy is enforced on every room")
{
    SignalingServer server({"--set", "rooms.pin_required=true", "--set", "rooms.pin_min_length=6",
                            "--set", "rooms.pin_max_length=6"});
    const auto rooms = json(server.owner.call("GET", "/api/v1/rooms").body)->getArray("rooms");
    const auto pin = rooms->getObject(0)->getValue<std::string>("pin");
    CHECK(pin.size() == 6); // a new personal room gets a random PIN
    CHECK(pin.find_first_not_of("0123456789") == std::string::npos);
    const auto path = "/api/v1/rooms/" + std::to_string(rooms->getObject(0)->getValue<std::int64_t>("id"));
    CHECK(errorCode(server.owner.call("PATCH", path, R"({"pin":""})")) == "pin_required");
    CHECK(errorCode(server.owner.call("PATCH", path, R"({"pin":"12345"})")) == "invalid_pin");
    CHECK(errorCode(server.owner.call("PATCH", path, R"({"pin":"1234567"})")) == "invalid_pin");
    CHECK(server.owner.call("PATCH", path, R"({"pin":"123456"})").status == 200);
    CHECK(json(server.owner.call("POST", "/api/v1/rooms", meetingBody()).body)->getValue<std::string>("pin").size() == 6);
}

TEST_CASE("Only the owner, named moderators and admins see a room, and only the owner renames moderators")
{
    SignalingServer server;
    auto helper = server.userWithRole("helper", "user");
    auto stranger = server.userWithRole("stranger", "user");
    const auto created = server.owner.call("POST", "/api/v1/rooms", meetingBody(R"(,"moderators":["helper"])"));
    REQUIRE(created.status == 201);
    const auto room = roomFrom(created);
    const auto path = "/api/v1/rooms/" + std::to_string(room.id);

    CHECK(stranger.call("GET", path).status == 404);
    CHECK(stranger.call("PATCH", path, R"({"locked":true})").status == 404);
    CHECK(stranger.call("POST", path + "/invitations", R"({"name":"x"})").status == 404);
    CHECK(httpsRequest(server.port(), "GET", path).status == 401);

    CHECK(helper.call("GET", path).status == 200);
    CHECK(helper.call("PATCH", path, R"({"waitingRoom":false})").status == 200);
    CHECK(helper.call("POST", path + "/invitations", R"({"name":"Patient"})").status == 201);
    CHECK(errorCode(helper.call("PATCH", path, R"({"moderators":[]})")) == "forbidden");
    CHECK(errorCode(helper.call("POST", path + "/link")) == "forbidden");
    CHECK(errorCode(helper.call("DELETE", path)) == "forbidden");

    // A named moderator joining is a moderator.
    WsClient ws(server.port(), sessionCookie(helper));
    const auto joined = ws.join(R"("link":")" + room.link + "\"");
    REQUIRE(codeOf(joined) == "joined");
    CHECK(joined->getValue<std::string>("role") == "moderator");

    // The owner deletes the meeting: whoever is in it is told it ended.
    CHECK(server.owner.call("DELETE", path).status == 204);
    CHECK(ws.expect("room.ended"));
    CHECK(ws.closeCode() == 4404);
    CHECK(server.owner.call("GET", path).status == 404);

    const auto personal = personalRoom(server.owner);
    CHECK(errorCode(server.owner.call("DELETE", "/api/v1/rooms/" + std::to_string(personal.id))) == "personal_room");
    CHECK(auditCount(server.admin(), "action=room.update") >= 2);
}

TEST_CASE("Meetings are removed after their retention period")
{
    std::int64_t oldId = 0, keptId = 0;
    RunningServer server(fastAccounts({"--set", "rooms.meeting_retention_days=1"}),
                         [&](const std::filesystem::path& dataDir) {
                             REQUIRE(runParleyctl(ctlArgs(dataDir) + " user create-admin admin", kAdminPassword).exitCode == 0);
                             parley::storage::Database database({dataDir / "parley.db"});
                             const auto owner = parley::storage::UserStore(database).findByUsername("admin");
                             parley::storage::RoomStore rooms(database);
                             const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                                                  std::chrono::system_clock::now().time_since_epoch()).count();
                             parley::storage::Room room;
                             room.kind = parley::storage::RoomKind::Meeting;
                             room.ownerId = owner->id;
                             room.title = "Long past";
                             room.linkSecret = "old-link";
                             room.startsAt = now - 3 * 86400;
                             room.endsAt = now - 2 * 86400;
                             oldId = rooms.create(room).id;
                             room.title = "Yesterday";
                             room.linkSecret = "recent-link";
                             room.endsAt = now - 3600;
                             keptId = rooms.create(room).id;
                         });
    ApiClient admin(server.port());
    REQUIRE(admin.login("admin", kAdminPassword).status == 200);
    CHECK(admin.call("GET", "/api/v1/rooms/" + std::to_string(oldId)).status == 404);
    CHECK(admin.call("GET", "/api/v1/rooms/" + std::to_string(keptId)).status == 200);
    const auto audit = json(admin.call("GET", "/api/v1/audit?action=meeting.expire").body);
    CHECK(audit->getValue<int>("total") == 1);
    // The recent one is kept but cannot be joined: it has ended.
    WsClient ws(server.port());
    CHECK(codeOf(ws.join(R"("link":"recent-link","name":"Late")")) == "meeting_ended");
}

TEST_CASE("A denied address is refused even when it is also allowed")
{
    SECTION("portal lists")
    {
        ServerWithAdmin server({"--set", "access.portal_allow=127.0.0.0/8,::1", "--set",
                                "access.portal_deny=127.0.0.1/32"});
        const auto health = httpsRequest(server.port(), "GET", "/healthz");
        CHECK(health.status == 403);
        CHECK(errorCode(health) == "address_denied");
        const auto ws = WsClient::refusedHandshake(server.port());
        CHECK(ws.status == 403);
        CHECK(errorCode(ws) == "address_denied");
    }
    SECTION("an allow list that does not name the address")
    {
        ServerWithAdmin server({"--set", "access.portal_allow=10.0.0.0/8, 2001:db8::/32"});
        CHECK(errorCode(httpsRequest(server.port(), "GET", "/healthz")) == "address_denied");
    }
    SECTION("admin lists apply to admin and audit endpoints only")
    {
        ServerWithAdmin server({"--set", "access.admin_allow=127.0.0.1", "--set", "access.admin_deny=127.0.0.0/8"});
        auto admin = server.admin(); // logging in is not an admin endpoint
        CHECK(errorCode(admin.call("GET", "/api/v1/users")) == "address_denied");
        CHECK(errorCode(admin.call("GET", "/api/v1/audit")) == "address_denied");
        CHECK(errorCode(admin.call("GET", "/api/v1/admin/ldap")) == "address_denied");
        CHECK(admin.call("GET", "/api/v1/rooms").status == 200);
        // The console's page too: refused (the page then says why).
        CHECK(admin.call("GET", "/admin").status == 403);
    }
    SECTION("allowed")
    {
        ServerWithAdmin server({"--set", "access.portal_allow=127.0.0.0/8", "--set", "access.admin_allow=127.0.0.1/32"});
        CHECK(server.admin().call("GET", "/api/v1/users").status == 200);
    }
}

TEST_CASE("The front door, meeting and recordings pages are served with a strict Content-Security-Policy, and "
          "only their own files")
{
    ServerWithAdmin server;
    for (const auto& [path, script] : {std::pair{"/", "/static/portal.js"},
                                       std::pair{"/join/some-link-secret", "/static/meeting.js"},
                                       std::pair{"/invite", "/static/meeting.js"},
                                       std::pair{"/meeting/123456789", "/static/meeting.js"},
                                       std::pair{"/recordings", "/static/recordings.js"}}) {
        INFO(path);
        const auto page = httpsRequest(server.port(), "GET", path);
        REQUIRE(page.status == 200);
        CHECK(page.header("content-type").rfind("text/html", 0) == 0);
        CHECK(page.body.find(script) != std::string::npos);
        CHECK(page.body.find("<script>") == std::string::npos); // no inline script
        const auto csp = page.header("content-security-policy");
        CHECK(csp.find("script-src 'self'") != std::string::npos);
        CHECK(csp.find("unsafe-inline") == std::string::npos);
        CHECK(csp.find("unsafe-eval") == std::string::npos);
        CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
        CHECK(httpsRequest(server.port(), "GET", script).status == 200);
    }
    // The admin console: without a session, to the front door's sign-in; signed in, the page.
    const auto anonymous = httpsRequest(server.port(), "GET", "/admin");
    CHECK(anonymous.status == 303);
    CHECK(anonymous.header("location") == "/?next=/admin");
    const auto console = server.admin().call("GET", "/admin");
    REQUIRE(console.status == 200);
    // A plain user gets the page with 403 (it tells them it is not for them), on record.
    auto plain = server.userWithRole("plain", "user");
    const auto refused = plain.call("GET", "/admin");
    CHECK(refused.status == 403);
    CHECK(refused.body.find("/static/admin.js") != std::string::npos);
    auto admin = server.admin();
    const auto denied = json(admin.call("GET", "/api/v1/audit?action=access.denied").body);
    REQUIRE(denied->getValue<int>("total") == 1);
    CHECK(denied->getArray("entries")->getObject(0)->getValue<std::string>("target") == "GET /admin");
    CHECK(console.body.find("/static/admin.js") != std::string::npos);
    CHECK(console.body.find("<script>") == std::string::npos);
    CHECK(console.header("content-security-policy").find("script-src 'self'") != std::string::npos);
    CHECK(console.header("content-security-policy").find("unsafe-inline") == std::string::npos);
    const auto script = httpsRequest(server.port(), "GET", "/static/meeting.js");
    CHECK(script.status == 200);
    CHECK(script.header("content-type").rfind("text/javascript", 0) == 0);
    // Every file of the web root is served (a module the pages import but the server does not
    // list would break a page only in the browser).
    for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(PARLEY_SOURCE_DIR) / "portal/web")) {
        INFO(entry.path().filename().string());
        CHECK(httpsRequest(server.port(), "GET", "/static/" + entry.path().filename().string()).status == 200);
    }
    for (const char* path : {"/static/../CMakeLists.txt", "/static/%2e%2e%2fREADME.md", "/static/secret.txt",
                             "/static/", "/static/meeting.js/x"})
        CHECK(httpsRequest(server.port(), "GET", path).status == 404);
}
