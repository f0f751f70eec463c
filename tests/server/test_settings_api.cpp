// Security settings and room policy changed at run time through /api/v1/admin/settings:
// each change is in force at the next request, join or login, survives a restart, and goes
// back to the configuration file's value when deleted.
#include "signaling_fixture.h"

#include <csignal>
#include <thread>

using namespace parley::test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

constexpr const char* kSettings = "/api/v1/admin/settings";

Poco::JSON::Object::Ptr settingsOf(const HttpResponse& response)
{
    REQUIRE(response.status == 200);
    return json(response.body);
}

std::string sourceOf(const Poco::JSON::Object::Ptr& body, const std::string& key)
{
    return body->getObject("sources")->getValue<std::string>(key);
}

/// The latest audit entry matching the query, as the audit API shows it (oldest first).
Poco::JSON::Object::Ptr lastAudit(ApiClient& admin, const std::string& query)
{
    const auto total = auditCount(admin, query);
    REQUIRE(total > 0);
    const auto response = admin.call("GET", "/api/v1/audit?" + query + "&per_page=1&page=" + std::to_string(total));
    REQUIRE(response.status == 200);
    const auto entries = json(response.body)->getArray("entries");
    REQUIRE(entries->size() == 1);
    return entries->getObject(0);
}

Poco::JSON::Object::Ptr detailsOf(const Poco::JSON::Object::Ptr& entry)
{
    const auto details = entry->get("details");
    if (details.type() == typeid(Poco::JSON::Object::Ptr))
        return details.extract<Poco::JSON::Object::Ptr>();
    return json(details.toString());
}

} // namespace

TEST_CASE("Admins read the settings with their source, change them (audited as from -> to) and go back to the file")
{
    ServerWithAdmin server({"--set", "rooms.pin_min_length=5", "--set", "access.portal_deny=192.0.2.0/24", "--set",
                            "rooms.users_wait=forced_on"});
    auto admin = server.admin();

    const auto initial = settingsOf(admin.call("GET", kSettings));
    const auto settings = initial->getObject("settings");
    CHECK(settings->getValue<int>("pinMinLength") == 5);
    CHECK(settings->getValue<int>("pinMaxLength") == 8);
    CHECK(settings->getArray("portalDeny")->getElement<std::string>(0) == "192.0.2.0/24");
    CHECK(settings->getValue<int>("sessionIdleSeconds") == 1800);
    CHECK(settings->getObject("roomPolicy")->getObject("waitingRoom")->getValue<std::string>("mode") == "optional");
    CHECK(settings->getObject("roomPolicy")->getObject("recording")->getValue<bool>("guestModerators"));
    CHECK(sourceOf(initial, "pinMinLength") == "configuration_file");
    CHECK(sourceOf(initial, "roomPolicy.waitingRoom") == "configuration_file");
    CHECK(settings->getObject("roomPolicy")->getObject("usersWait")->getValue<std::string>("mode") == "forced_on");

    const auto changed = settingsOf(admin.call(
        "PUT", kSettings,
        R"({"pinMinLength":6,"recordingRetentionDays":90,"roomPolicy":{"waitingRoom":{"mode":"forced_on"}}})"));
    CHECK(changed->getObject("settings")->getValue<int>("pinMinLength") == 6);
    CHECK(changed->getObject("settings")->getValue<int>("recordingRetentionDays") == 90);
    const auto waiting = changed->getObject("settings")->getObject("roomPolicy")->getObject("waitingRoom");
    CHECK(waiting->getValue<std::string>("mode") == "forced_on");
    CHECK(waiting->getValue<bool>("default")); // the field not given kept its value
    CHECK(sourceOf(changed, "pinMinLength") == "admin_api");
    CHECK(sourceOf(changed, "roomPolicy.waitingRoom") == "admin_api");
    CHECK(sourceOf(changed, "roomPolicy.pin") == "configuration_file");
    CHECK(sourceOf(changed, "pinMaxLength") == "configuration_file");

    const auto entry = lastAudit(admin, "action=config.change&outcome=success");
    CHECK(entry->getValue<std::string>("target") == "settings");
    CHECK(entry->getValue<std::string>("actor") == "admin");
    const auto details = detailsOf(entry);
    CHECK(details->getObject("pinMinLength")->getValue<int>("from") == 5);
    CHECK(details->getObject("pinMinLength")->getValue<int>("to") == 6);
    CHECK(details->getObject("recordingRetentionDays")->getValue<int>("to") == 90);
    CHECK(details->getObject("roomPolicy.waitingRoom")->getObject("to")->getValue<std::string>("mode") == "forced_on");
    CHECK_FALSE(details->has("pinMaxLength")); // unchanged keys are not listed

    // One key back to the file, then all of them.
    const auto one = settingsOf(admin.call("DELETE", std::string(kSettings) + "/pinMinLength"));
    CHECK(one->getObject("settings")->getValue<int>("pinMinLength") == 5);
    CHECK(sourceOf(one, "pinMinLength") == "configuration_file");
    CHECK(sourceOf(one, "recordingRetentionDays") == "admin_api");
    CHECK(detailsOf(lastAudit(admin, "action=config.change&outcome=success"))
              ->getObject("pinMinLength")->getValue<int>("to") == 5);
    const auto all = settingsOf(admin.call("DELETE", kSettings));
    CHECK(all->getObject("settings")->getValue<int>("recordingRetentionDays") == 0);
    CHECK(all->getObject("settings")->getObject("roomPolicy")->getObject("waitingRoom")->getValue<std::string>("mode") ==
          "optional");
    CHECK(all->getObject("settings")->getObject("roomPolicy")->getObject("usersWait")->getValue<std::string>("mode") ==
          "forced_on"); // the file's
    for (const auto& [key, source] : *all->getObject("sources"))
        CHECK(source.toString() == "configuration_file");
}

TEST_CASE("A PIN policy change applies to the very next room update")
{
    SignalingServer server;
    auto admin = server.admin();
    const auto room = personalRoom(server.owner, R"({"pin":"1234"})");
    const auto path = "/api/v1/rooms/" + std::to_string(room.id);

    REQUIRE(admin.call("PUT", kSettings, R"({"pinMinLength":6,"pinMaxLength":6})").status == 200);
    const auto refused = server.owner.call("PATCH", path, R"({"pin":"12345"})");
    CHECK(refused.status == 400);
    CHECK(errorCode(refused) == "invalid_pin");
    CHECK_THAT(refused.body, Contains("6 to 6 digits"));
    CHECK(server.owner.call("PATCH", path, R"({"pin":"123456"})").status == 200);

    // PIN forced on: removing it is refused; forced off: setting one is.
    REQUIRE(admin.call("PUT", kSettings, R"({"roomPolicy":{"pin":{"mode":"forced_on"}}})").status == 200);
    CHECK(errorCode(server.owner.call("PATCH", path, R"({"pin":""})")) == "pin_required");
    REQUIRE(admin.call("PUT", kSettings, R"({"roomPolicy":{"pin":{"mode":"forced_off"}}})").status == 200);
    const auto forcedOff = server.owner.call("PATCH", path, R"({"pin":"654321"})");
    CHECK(forcedOff.status == 409);
    CHECK(errorCode(forcedOff) == "policy_forced");
    // The stored PIN is no longer asked for, and the room says so.
    const auto view = json(server.owner.call("GET", path).body);
    CHECK(view->getValue<std::string>("pin").empty());
    CHECK_FALSE(view->getObject("forced")->getValue<bool>("pin"));
}

TEST_CASE("Waiting room forced on: a guest waits even in a room stored without a waiting room, and the room "
          "cannot turn it off")
{
    SignalingServer server;
    auto admin = server.admin();
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    const auto path = "/api/v1/rooms/" + std::to_string(room.id);
    auto owner = server.ownerJoins(room);
    WsClient before(server.port());
    REQUIRE(codeOf(before.join(guestJoin(room, "Early Guest"))) == "joined");

    const auto saved = admin.call("PUT", kSettings, R"({"roomPolicy":{"waitingRoom":{"mode":"forced_on","default":true}}})");
    REQUIRE(saved.status == 200);
    WsClient after(server.port());
    CHECK(codeOf(after.join(guestJoin(room, "Late Guest"))) == "lobby.waiting");
    CHECK(owner->expect("lobby.updated"));

    const auto refused = server.owner.call("PATCH", path, R"({"waitingRoom":false})");
    CHECK(refused.status == 409);
    CHECK(errorCode(refused) == "policy_forced");
    CHECK_THAT(refused.body, Contains("waitingRoom"));
    const auto view = json(server.owner.call("GET", path).body);
    CHECK(view->getValue<bool>("waitingRoom")); // what is in force, not what was stored
    CHECK(view->getObject("forced")->getValue<bool>("waitingRoom"));
    // A new meeting cannot be made without one either, and gets one when it says nothing.
    const auto now = std::chrono::system_clock::now();
    const auto times = R"("startsAt":")" + isoTime(now) + R"(","endsAt":")" + isoTime(now + 1h) + "\"";
    CHECK(errorCode(server.owner.call("POST", "/api/v1/rooms", R"({"title":"T","waitingRoom":false,)" + times + "}")) ==
          "policy_forced");
    CHECK(json(server.owner.call("POST", "/api/v1/rooms", R"({"title":"T",)" + times + "}").body)
              ->getValue<bool>("waitingRoom"));

    // Guests forced off: the next guest is refused.
    REQUIRE(admin.call("PUT", kSettings, R"({"roomPolicy":{"guestsAllowed":{"mode":"forced_off"}}})").status == 200);
    WsClient refusedGuest(server.port());
    CHECK(codeOf(refusedGuest.join(guestJoin(room, "Third Guest"))) == "guests_not_allowed");
}

TEST_CASE("Recording forced off is refused with policy_forced, and guest moderators may be kept from recording")
{
    SignalingServer server;
    auto admin = server.admin();
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    auto owner = server.ownerJoins(room);
    WsClient guest(server.port());
    const auto joined = guest.join(guestJoin(room, "Promoted Guest"));
    REQUIRE(codeOf(joined) == "joined");
    owner->sendText(R"({"type":"promote","participantId":")" + joined->getValue<std::string>("participantId") + "\"}");
    REQUIRE(guest.expect("lobby.updated")); // a moderator now

    REQUIRE(admin.call("PUT", kSettings, R"({"roomPolicy":{"recording":{"guestModerators":false}}})").status == 200);
    guest.sendText(R"({"type":"recording.start"})");
    const auto guestRefused = guest.expect("error");
    REQUIRE(guestRefused);
    CHECK(guestRefused->getValue<std::string>("code") == "recording_users_only");

    REQUIRE(admin.call("PUT", kSettings, R"({"roomPolicy":{"recording":{"mode":"forced_off"}}})").status == 200);
    owner->sendText(R"({"type":"recording.start"})");
    const auto ownerRefused = owner->expect("error");
    REQUIRE(ownerRefused);
    CHECK(ownerRefused->getValue<std::string>("code") == "policy_forced");
    const auto api = server.owner.call("POST", "/api/v1/rooms/" + std::to_string(room.id) + "/recording",
                                       R"({"action":"start"})");
    CHECK(api.status == 409);
    CHECK(errorCode(api) == "policy_forced");
    CHECK(auditCount(admin, "action=recording.start&outcome=failure") == 3);
    CHECK(json(server.owner.call("GET", "/api/v1/rooms/" + std::to_string(room.id)).body)
              ->getObject("forced")->getValue<bool>("recording") == false);
}

TEST_CASE("A lockout threshold change applies to the next login failures")
{
    ServerWithAdmin server({"--set", "login.account_free_attempts=5"});
    auto admin = server.admin();
    server.userWithRole("nurse", "user");
    REQUIRE(admin.call("PUT", kSettings, R"({"lockoutAccountAttempts":2,"lockoutBaseSeconds":60})").status == 200);
    ApiClient client(server.port());
    CHECK(client.login("nurse", "wrong-password").status == 401);
    CHECK(client.login("nurse", "wrong-password").status == 401);
    const auto locked = client.login("nurse", "nurse-password");
    CHECK(locked.status == 429);
    CHECK(locked.header("retry-after") == "60");
}

TEST_CASE("New session limits apply to sessions already issued at their next request")
{
    ServerWithAdmin server;
    auto admin = server.admin();
    auto nurse = server.userWithRole("nurse", "user");

    // Idle: a session quiet for longer than the new limit ends, an active one goes on.
    REQUIRE(admin.call("PUT", kSettings, R"({"sessionIdleSeconds":3})").status == 200);
    for (int i = 0; i < 3; ++i) {
        std::this_thread::sleep_for(1500ms);
        REQUIRE(admin.call("GET", "/api/v1/auth/session").status == 200);
    }
    CHECK(nurse.call("GET", "/api/v1/auth/session").status == 401); // 4.5 s quiet
    REQUIRE(admin.call("DELETE", std::string(kSettings) + "/sessionIdleSeconds").status == 200);

    // Lifetime: shortened below the age of a session issued earlier, which ends at once.
    ApiClient doctor(server.port());
    REQUIRE(doctor.login("nurse", "nurse-password").status == 200);
    std::this_thread::sleep_for(2500ms);
    REQUIRE(admin.call("PUT", kSettings, R"({"sessionLifetimeSeconds":2})").status == 200);
    CHECK(doctor.call("GET", "/api/v1/auth/session").status == 401);
}

TEST_CASE("Address lists apply to the next request, and an admin cannot lock themselves out")
{
    ServerWithAdmin server;
    auto admin = server.admin(); // from 127.0.0.1
    ApiClient other(server.port());
    other.setSourceAddress("127.0.0.2");
    REQUIRE(other.login("admin", kAdminPassword).status == 200);
    CHECK(other.call("GET", "/api/v1/users").status == 200);

    // An admin allow list without the saving admin's own address is refused, and audited.
    const auto lockout = admin.call("PUT", kSettings, R"({"adminAllow":["10.0.0.0/8"]})");
    CHECK(lockout.status == 409);
    CHECK(errorCode(lockout) == "would_lock_out");
    CHECK(errorCode(admin.call("PUT", kSettings, R"({"portalDeny":["127.0.0.1"]})")) == "would_lock_out");
    CHECK(detailsOf(lastAudit(admin, "action=config.change&outcome=failure"))->getValue<std::string>("reason") ==
          "would_lock_out");
    CHECK(json(admin.call("GET", kSettings).body)->getObject("settings")->getArray("adminAllow")->size() == 0);

    REQUIRE(admin.call("PUT", kSettings, R"({"adminAllow":["127.0.0.1"]})").status == 200);
    const auto refused = other.call("GET", "/api/v1/users");
    CHECK(refused.status == 403);
    CHECK(errorCode(refused) == "address_denied");
    CHECK(other.call("GET", "/api/v1/rooms").status == 200); // still a portal user

    REQUIRE(admin.call("PUT", kSettings, R"({"portalDeny":["127.0.0.2/32"]})").status == 200);
    CHECK(errorCode(other.call("GET", "/api/v1/rooms")) == "address_denied");
    const auto health = httpsRequest(server.port(), "GET", "/healthz");
    CHECK(health.status == 200); // 127.0.0.1 is not denied

    REQUIRE(admin.call("DELETE", std::string(kSettings) + "/portalDeny").status == 200);
    REQUIRE(admin.call("DELETE", std::string(kSettings) + "/adminAllow").status == 200);
    CHECK(other.call("GET", "/api/v1/users").status == 200);
}

TEST_CASE("Bad settings are refused with a 400 naming the key, and nothing is changed")
{
    ServerWithAdmin server;
    auto admin = server.admin();
    const auto before = admin.call("GET", kSettings).body;
    const std::pair<const char*, const char*> cases[] = {
        {R"({"pinMinLength":2})", "pinMinLength"},
        {R"({"pinMinLength":13})", "pinMinLength"},
        {R"({"pinMinLength":"6"})", "pinMinLength"},
        {R"({"pinMinLength":6.5})", "pinMinLength"},
        {R"({"pinMinLength":true})", "pinMinLength"},
        {R"({"pinMinLength":1e1})", "pinMinLength"},
        {R"({"pinMinLength":-9223372036854775808})", "pinMinLength"},
        {R"({"pinMinLength":9})", "pinMaxLength"}, // above the file's maximum of 8
        {R"({"sessionIdleSeconds":0})", "sessionIdleSeconds"},
        {R"({"sessionLifetimeSeconds":2592001})", "sessionLifetimeSeconds"},
        {R"({"lockoutAccountAttempts":0})", "lockoutAccountAttempts"},
        {R"({"lockoutBaseSeconds":1000,"lockoutMaxSeconds":100})", "lockoutBaseSeconds"},
        {R"({"recordingRetentionDays":-1})", "recordingRetentionDays"},
        {R"({"portalAllow":"10.0.0.0/8"})", "portalAllow"},
        {R"({"portalAllow":["10.0.0.1/8"]})", "portalAllow"},
        {R"({"portalAllow":["10.0.0.0/33"]})", "portalAllow"},
        {R"({"adminDeny":["not-an-address"]})", "adminDeny"},
        {R"({"adminDeny":["10.0.0.0/8, 127.0.0.1"]})", "adminDeny"},
        {R"({"adminDeny":[7]})", "adminDeny"},
        {R"({"roomPolicy":{"waitingRoom":{"mode":"always"}}})", "roomPolicy.waitingRoom"},
        {R"({"roomPolicy":{"waitingRoom":{"mode":"optional","default":"yes"}}})", "roomPolicy.waitingRoom"},
        {R"({"roomPolicy":{"waitingRoom":{"mode":"optional","colour":"red"}}})", "roomPolicy.waitingRoom"},
        {R"({"roomPolicy":{"recording":{"mode":"forced_on"}}})", "roomPolicy.recording"},
        {R"({"roomPolicy":{"waitingRoom":true}})", "roomPolicy.waitingRoom"},
        {R"({"roomPolicy":[]})", "roomPolicy"},
    };
    for (const auto& [body, key] : cases) {
        INFO(body);
        const auto response = admin.call("PUT", kSettings, body);
        CHECK(response.status == 400);
        CHECK(errorCode(response) == "invalid_setting");
        CHECK_THAT(response.body, Contains(std::string("'") + key + "'"));
    }
    const auto unknown = admin.call("PUT", kSettings, R"({"pinLength":6})");
    CHECK(errorCode(unknown) == "unknown_setting");
    CHECK_THAT(unknown.body, Contains("pinLength"));
    CHECK(errorCode(admin.call("PUT", kSettings, R"({"roomPolicy":{"camera":{"mode":"optional"}}})")) == "unknown_setting");
    CHECK(errorCode(admin.call("PUT", kSettings, "[1]")) == "invalid_json");
    const auto missing = admin.call("DELETE", std::string(kSettings) + "/nothing");
    CHECK(missing.status == 404);
    CHECK(errorCode(missing) == "unknown_setting");
    // A body with one bad key changes none of the good ones beside it.
    CHECK(admin.call("PUT", kSettings, R"({"pinMaxLength":10,"pinMinLength":1})").status == 400);
    CHECK(admin.call("GET", kSettings).body == before);
    CHECK(auditCount(admin, "action=config.change&outcome=success") == 0);
    CHECK(auditCount(admin, "action=config.change&outcome=failure") == static_cast<int>(std::size(cases)) + 4);
}

TEST_CASE("Users and auditors are refused the settings (audited), and changes need the CSRF token")
{
    ServerWithAdmin server;
    auto user = server.userWithRole("plainuser", "user");
    auto auditor = server.userWithRole("auditor1", "auditor");
    for (auto* client : {&user, &auditor}) {
        CHECK(errorCode(client->call("GET", kSettings)) == "forbidden");
        CHECK(errorCode(client->call("PUT", kSettings, R"({"pinMinLength":3})")) == "forbidden");
        CHECK(errorCode(client->call("DELETE", std::string(kSettings) + "/pinMinLength")) == "forbidden");
    }
    auto admin = server.admin();
    CHECK(auditCount(admin, "action=access.denied") == 6);
    const auto noCsrf = admin.call("PUT", kSettings, R"({"pinMinLength":3})", false);
    CHECK(noCsrf.status == 403);
    CHECK(errorCode(noCsrf) == "csrf_failed");
    CHECK(errorCode(admin.call("DELETE", kSettings, "", false)) == "csrf_failed");
    CHECK(json(admin.call("GET", kSettings).body)->getObject("settings")->getValue<int>("pinMinLength") == 4);
}

TEST_CASE("Saved settings survive a restart and win over the file until deleted")
{
    TempDir dir;
    const auto dataDir = dir / "data";
    REQUIRE(runParleyctl(ctlArgs(dataDir) + " user create-admin admin", kAdminPassword).exitCode == 0);
    const auto args = fastAccounts({"--set", "server.data_dir=" + dataDir.string(), "--set", "server.port=0",
                                    "--set", "rooms.pin_min_length=5"});
    {
        ParleydProcess first(args, dir.path());
        const auto port = first.servingPort();
        REQUIRE(port != 0);
        ApiClient admin(port);
        REQUIRE(admin.login("admin", kAdminPassword).status == 200);
        REQUIRE(admin.call("PUT", kSettings, R"({"pinMinLength":7,"roomPolicy":{"usersWait":{"mode":"forced_on"}}})")
                    .status == 200);
        first.signal(SIGTERM);
        REQUIRE(first.waitForExit() == 0);
    }
    ParleydProcess second(args, dir.path());
    const auto port = second.servingPort();
    REQUIRE(port != 0);
    ApiClient admin(port);
    REQUIRE(admin.login("admin", kAdminPassword).status == 200);
    const auto restarted = settingsOf(admin.call("GET", kSettings));
    CHECK(restarted->getObject("settings")->getValue<int>("pinMinLength") == 7);
    CHECK(sourceOf(restarted, "pinMinLength") == "admin_api");
    CHECK(restarted->getObject("settings")->getObject("roomPolicy")->getObject("usersWait")->getValue<std::string>("mode") ==
          "forced_on");
    // In force, not only shown: the owner's room refuses a 6-digit PIN.
    const auto rooms = json(admin.call("GET", "/api/v1/rooms").body)->getArray("rooms");
    const auto path = "/api/v1/rooms/" + std::to_string(rooms->getObject(0)->getValue<std::int64_t>("id"));
    CHECK(errorCode(admin.call("PATCH", path, R"({"pin":"123456"})")) == "invalid_pin");

    const auto reverted = settingsOf(admin.call("DELETE", std::string(kSettings) + "/pinMinLength"));
    CHECK(reverted->getObject("settings")->getValue<int>("pinMinLength") == 5); // the file's
    CHECK(sourceOf(reverted, "roomPolicy.usersWait") == "admin_api");
    CHECK(admin.call("PATCH", path, R"({"pin":"123456"})").status == 200);
}
