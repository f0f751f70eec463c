// Accounts and sessions through the real server over HTTPS.
#include "account_fixture.h"

#include <Poco/Crypto/DigestEngine.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/DigestEngine.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <thread>

using namespace parley::test;
using namespace std::chrono_literals;
using Catch::Contains;

namespace {

std::string sqliteValue(const std::filesystem::path& dataDir, const std::string& query)
{
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session session("SQLite", (dataDir / "parley.db").string());
    std::string value;
    session << query, Poco::Data::Keywords::into(value), Poco::Data::Keywords::now;
    return value;
}

/// "METHOD /path" of every route the portal's sources declare with Access::Admin, with
/// path parameters filled in ({id} becomes 1, the admin's own id).
std::vector<std::string> adminRoutes()
{
    const std::regex route(R"re(->add\(\s*"([^"]+)"\s*,\s*\{([^}]*)\}\s*,\s*Access::Admin\b)re");
    const std::regex method(R"re("([A-Z]+)")re");
    const std::regex parameter(R"re(\{[a-z]+\})re");
    std::vector<std::string> routes;
    // All of portal/, not one file: the route table may move between its parts.
    for (const auto& file : std::filesystem::recursive_directory_iterator(std::filesystem::path(PARLEY_SOURCE_DIR) / "portal")) {
        if (file.path().extension() != ".cpp")
            continue;
        const auto source = readFile(file.path());
        for (std::sregex_iterator r(source.begin(), source.end(), route), end; r != end; ++r) {
            const auto path = std::regex_replace((*r)[1].str(), parameter, "1");
            const auto methods = (*r)[2].str();
            for (std::sregex_iterator m(methods.begin(), methods.end(), method); m != end; ++m)
                routes.push_back((*m)[1].str() + " " + path);
        }
    }
    return routes;
}

} // namespace

TEST_CASE("Login sets a __Host- session cookie that is Secure, HttpOnly and SameSite=Strict")
{
    ServerWithAdmin server;
    ApiClient client(server.port());
    const auto response = client.login("admin", kAdminPassword);
    REQUIRE(response.status == 200);
    const auto cookie = response.header("set-cookie");
    CHECK(cookie.starts_with("__Host-parley_session="));
    CHECK_THAT(cookie, Contains("path=/") && Contains("secure") && Contains("HttpOnly") &&
                           Contains("SameSite=Strict"));
    CHECK_THAT(cookie, !Contains("domain=") && !Contains("Domain="));
    CHECK(client.cookie().size() == 43); // 256 random bits, base64url

    const auto session = client.call("GET", "/api/v1/auth/session");
    REQUIRE(session.status == 200);
    CHECK(json(session.body)->getObject("user")->getValue<std::string>("role") == "admin");
    CHECK(json(session.body)->getValue<std::string>("csrfToken") == client.csrf());
}

TEST_CASE("Usernames are case-insensitive at login")
{
    ServerWithAdmin server;
    ApiClient client(server.port());
    CHECK(client.login("ADMIN", kAdminPassword).status == 200);
}

TEST_CASE("Session tokens and passwords are stored only as hashes")
{
    ServerWithAdmin server;
    auto admin = server.admin();
    Poco::Crypto::DigestEngine sha256("SHA256");
    sha256.update(admin.cookie());
    const auto expected = Poco::DigestEngine::digestToHex(sha256.digest());
    CHECK(sqliteValue(server.server().dataDir(), "SELECT token_hash FROM sessions") == expected);
    CHECK(sqliteValue(server.server().dataDir(),
                      "SELECT count(*) FROM sessions WHERE token_hash LIKE '%" + admin.cookie() + "%'") == "0");
    const auto hash = sqliteValue(server.server().dataDir(),
                                  "SELECT password_hash FROM users WHERE username = 'admin'");
    CHECK(hash.starts_with("$pbkdf2-sha256$i=1000$"));
    CHECK(hash.find(kAdminPassword) == std::string::npos);
}

TEST_CASE("A wrong password and an unknown user get the same answer")
{
    ServerWithAdmin server;
    ApiClient client(server.port());
    const auto wrong = client.login("admin", "not-the-password");
    const auto unknown = client.login("nobody-by-this-name", "not-the-password");
    CHECK(wrong.status == 401);
    CHECK(unknown.status == 401);
    CHECK(wrong.body == unknown.body);
    CHECK(errorCode(wrong) == "invalid_credentials");
    CHECK(wrong.header("set-cookie").empty());
}

TEST_CASE("A wrong password and an unknown user take the same time", "[timing]")
{
    // Hashing dominates the cost of a login; with a real iteration count an unknown name must
    // not come back measurably faster than a known one.
    ServerWithAdmin server({"--set", "accounts.pbkdf2_iterations=200000", "--set",
                            "login.account_free_attempts=1000", "--set",
                            "login.address_free_attempts=1000"});
    ApiClient client(server.port());
    const auto timing = timeFailedLogins(client, "admin", 9);
    INFO("medians: known " << timing.localMedian << " s, unknown " << timing.unknownMedian
                           << " s; median ratio " << timing.medianRatio);
    // Without the dummy hash an unknown name answers in a few milliseconds against tens for
    // a known one (a ratio near 0.05).
    CHECK(timing.medianRatio > 0.6);
    CHECK(timing.medianRatio < 1.8);
}

TEST_CASE("Empty, missing or non-string credentials are refused before any lookup")
{
    ServerWithAdmin server;
    for (const std::string body : {R"({"username":"admin","password":""})", R"({"username":"admin"})",
                                   R"({"username":7,"password":"x"})", R"({"username":"admin","password":null})"}) {
        INFO(body);
        const auto response = httpsRequest(server.port(), "POST", "/api/v1/auth/login", body);
        CHECK(response.status == 400);
        CHECK(errorCode(response) == "invalid_request");
    }
}

TEST_CASE("Requests without a valid session get 401")
{
    ServerWithAdmin server;
    ApiClient anonymous(server.port());
    CHECK(anonymous.call("GET", "/api/v1/users").status == 401);
    CHECK(errorCode(anonymous.call("GET", "/api/v1/auth/session")) == "unauthenticated");
    anonymous.setCookie(std::string(43, 'A'));
    CHECK(anonymous.call("GET", "/api/v1/users").status == 401);
    anonymous.setCookie("'; DROP TABLE sessions; --");
    CHECK(anonymous.call("GET", "/api/v1/users").status == 401);
}

TEST_CASE("State-changing requests need the session's CSRF token")
{
    ServerWithAdmin server;
    auto admin = server.admin();
    const std::string body = R"({"username":"carol","password":"carol-password"})";

    const auto missing = admin.call("POST", "/api/v1/users", body, false);
    CHECK(missing.status == 403);
    CHECK(errorCode(missing) == "csrf_failed");

    const auto wrong = admin.call("POST", "/api/v1/users", body, false, "X-CSRF-Token: " + std::string(43, 'x') + "\r\n");
    CHECK(wrong.status == 403);

    const auto foreign = admin.call("POST", "/api/v1/users", body, true, "Origin: https://evil.example\r\n");
    CHECK(foreign.status == 403);

    CHECK(admin.call("DELETE", "/api/v1/users/1", "", false).status == 403);
    CHECK(admin.call("POST", "/api/v1/auth/logout", "", false).status == 403);

    // Nothing above took effect.
    CHECK(json(admin.call("GET", "/api/v1/users").body)->getValue<int>("total") == 1);
    CHECK(admin.call("POST", "/api/v1/users", body).status == 201);
}

TEST_CASE("Request bodies must be JSON")
{
    ServerWithAdmin server;
    TlsClient raw(server.port());
    const std::string form = "username=admin&password=x";
    raw.write("POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
              "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
              std::to_string(form.size()) + "\r\n\r\n" + form);
    const auto formResponse = parseHttpResponse(raw.readAll());
    CHECK(formResponse.status == 415);
    CHECK(errorCode(formResponse) == "unsupported_media_type");
}

TEST_CASE("Logout ends the session and clears the cookie")
{
    ServerWithAdmin server;
    auto admin = server.admin();
    const auto logout = admin.call("POST", "/api/v1/auth/logout");
    CHECK(logout.status == 204);
    CHECK_THAT(logout.header("set-cookie"), Contains("__Host-parley_session=;") || Contains("Max-Age=0") ||
                                               Contains("expires="));
    CHECK(admin.call("GET", "/api/v1/auth/session").status == 401);
}

TEST_CASE("A session ends after the idle timeout, and activity keeps it alive until then")
{
    ServerWithAdmin server({"--set", "sessions.idle_timeout_seconds=3"});
    auto admin = server.admin();
    for (int i = 0; i < 3; ++i) {
        std::this_thread::sleep_for(1500ms);
        REQUIRE(admin.call("GET", "/api/v1/auth/session").status == 200);
    }
    std::this_thread::sleep_for(4s);
    CHECK(admin.call("GET", "/api/v1/auth/session").status == 401);
}

TEST_CASE("A session ends at its absolute lifetime however active it is")
{
    ServerWithAdmin server({"--set", "sessions.lifetime_seconds=3"});
    auto admin = server.admin();
    int lastOk = 0;
    for (int i = 1; i <= 8; ++i) {
        std::this_thread::sleep_for(600ms);
        if (admin.call("GET", "/api/v1/auth/session").status == 200)
            lastOk = i;
    }
    CHECK(lastOk >= 3);
    CHECK(lastOk <= 6);
    CHECK(admin.call("GET", "/api/v1/auth/session").status == 401);
}

TEST_CASE("Repeated failures lock an account with doubling back-off, answered 429 with Retry-After")
{
    ServerWithAdmin server({"--set", "login.account_free_attempts=3", "--set",
                            "login.lockout_base_seconds=2", "--set", "login.lockout_max_seconds=60"});
    ApiClient client(server.port());
    for (int i = 0; i < 3; ++i)
        CHECK(client.login("admin", "wrong-password").status == 401);

    // Locked: even the right password is not checked.
    auto locked = client.login("admin", kAdminPassword);
    CHECK(locked.status == 429);
    CHECK(errorCode(locked) == "too_many_attempts");
    CHECK(locked.header("retry-after") == "2");

    std::this_thread::sleep_for(2100ms);
    CHECK(client.login("admin", "wrong-password").status == 401);
    locked = client.login("admin", kAdminPassword);
    CHECK(locked.status == 429);
    CHECK(locked.header("retry-after") == "4"); // doubled

    std::this_thread::sleep_for(4100ms);
    CHECK(client.login("admin", kAdminPassword).status == 200);
    // Success cleared the counter.
    CHECK(client.login("admin", "wrong-password").status == 401);
    CHECK(client.login("admin", kAdminPassword).status == 200);
}

TEST_CASE("Unknown account names are locked out exactly like real ones")
{
    ServerWithAdmin server({"--set", "login.account_free_attempts=2", "--set",
                            "login.lockout_base_seconds=30"});
    ApiClient client(server.port());
    for (const std::string name : {"admin", "nobody"}) {
        INFO(name);
        CHECK(client.login(name, "wrong-password").status == 401);
        CHECK(client.login(name, "wrong-password").status == 401);
        const auto locked = client.login(name, "wrong-password");
        CHECK(locked.status == 429);
        CHECK(locked.header("retry-after") == "30");
    }
}

TEST_CASE("Many failures from one address lock that address out for every name")
{
    ServerWithAdmin server({"--set", "login.address_free_attempts=4", "--set",
                            "login.lockout_base_seconds=30"});
    ApiClient client(server.port());
    for (int i = 0; i < 4; ++i)
        CHECK(client.login("guess" + std::to_string(i), "wrong-password").status == 401);
    CHECK(client.login("admin", kAdminPassword).status == 429);
}

TEST_CASE("Changing one's password ends every session and starts a fresh one")
{
    ServerWithAdmin server;
    auto first = server.admin();
    auto second = server.admin();

    const auto refused = first.call("POST", "/api/v1/me/password",
                                    R"({"currentPassword":"not-it","newPassword":"brand-new-password"})");
    CHECK(refused.status == 403);
    CHECK(errorCode(refused) == "wrong_password");

    const auto weak = first.call("POST", "/api/v1/me/password",
                                 "{\"currentPassword\":\"" + std::string(kAdminPassword) + "\",\"newPassword\":\"short\"}");
    CHECK(weak.status == 400);
    CHECK(errorCode(weak) == "weak_password");

    const auto oldCookie = first.cookie();
    const auto changed = first.call("POST", "/api/v1/me/password",
                                    "{\"currentPassword\":\"" + std::string(kAdminPassword) +
                                        "\",\"newPassword\":\"brand-new-password\"}");
    REQUIRE(changed.status == 200);
    first.adopt(changed);
    CHECK(first.cookie() != oldCookie);
    CHECK(first.call("GET", "/api/v1/auth/session").status == 200);
    CHECK(second.call("GET", "/api/v1/auth/session").status == 401);
    first.setCookie(oldCookie);
    CHECK(first.call("GET", "/api/v1/auth/session").status == 401);

    ApiClient fresh(server.port());
    CHECK(fresh.login("admin", kAdminPassword).status == 401);
    CHECK(fresh.login("admin", "brand-new-password").status == 200);
}

TEST_CASE("Admins create, list, change, disable, reset and delete users")
{
    ServerWithAdmin server;
    auto admin = server.admin();
    for (int i = 0; i < 5; ++i)
        REQUIRE(admin.call("POST", "/api/v1/users",
                           "{\"username\":\"user" + std::to_string(i) + "\",\"displayName\":\"User " +
                               std::to_string(i) + "\",\"password\":\"password-" + std::to_string(i) + "\"}")
                    .status == 201);

    const auto page = json(admin.call("GET", "/api/v1/users?page=2&per_page=2").body);
    CHECK(page->getValue<int>("total") == 6);
    CHECK(page->getValue<int>("page") == 2);
    const auto users = page->getArray("users");
    REQUIRE(users->size() == 2);
    CHECK(users->getObject(0)->getValue<std::string>("username") == "user1");
    CHECK_FALSE(users->getObject(0)->has("passwordHash"));
    CHECK(admin.call("GET", "/api/v1/users?per_page=500").status == 400);
    CHECK(admin.call("GET", "/api/v1/users?page=0").status == 400);

    const auto duplicate = admin.call("POST", "/api/v1/users", R"({"username":"USER1","password":"password-x"})");
    CHECK(duplicate.status == 409);
    CHECK(errorCode(duplicate) == "username_taken");

    const auto id = std::to_string(users->getObject(0)->getValue<int>("id"));
    ApiClient user1(server.port());
    REQUIRE(user1.login("user1", "password-1").status == 200);

    const auto promoted = admin.call("PATCH", "/api/v1/users/" + id, R"({"role":"auditor","displayName":"Auditor One"})");
    REQUIRE(promoted.status == 200);
    CHECK(json(promoted.body)->getValue<std::string>("role") == "auditor");
    CHECK(json(admin.call("GET", "/api/v1/users/" + id).body)->getValue<std::string>("displayName") == "Auditor One");
    CHECK(admin.call("PATCH", "/api/v1/users/" + id, R"({"role":"superuser"})").status == 400);

    // Disabling ends the user's sessions and refuses their logins with the usual answer.
    REQUIRE(admin.call("PATCH", "/api/v1/users/" + id, R"({"disabled":true})").status == 200);
    CHECK(user1.call("GET", "/api/v1/auth/session").status == 401);
    const auto disabledLogin = user1.login("user1", "password-1");
    CHECK(disabledLogin.status == 401);
    CHECK(errorCode(disabledLogin) == "invalid_credentials");
    REQUIRE(admin.call("PATCH", "/api/v1/users/" + id, R"({"disabled":false})").status == 200);

    CHECK(admin.call("POST", "/api/v1/users/" + id + "/password", R"({"password":"reset-by-admin"})").status == 204);
    CHECK(user1.login("user1", "password-1").status == 401);
    CHECK(user1.login("user1", "reset-by-admin").status == 200);

    CHECK(admin.call("DELETE", "/api/v1/users/" + id).status == 204);
    CHECK(admin.call("GET", "/api/v1/users/" + id).status == 404);
    CHECK(user1.call("GET", "/api/v1/auth/session").status == 401);
    CHECK(admin.call("DELETE", "/api/v1/users/" + id).status == 404);
    CHECK(admin.call("GET", "/api/v1/users/abc").status == 404);
    CHECK(admin.call("GET", "/api/v1/users/99999999999999999999999").status == 404);
}

TEST_CASE("The last enabled admin cannot be demoted, disabled or deleted")
{
    ServerWithAdmin server;
    auto admin = server.admin();
    CHECK(errorCode(admin.call("PATCH", "/api/v1/users/1", R"({"role":"user"})")) == "last_admin");
    CHECK(errorCode(admin.call("PATCH", "/api/v1/users/1", R"({"disabled":true})")) == "last_admin");
    CHECK(admin.call("DELETE", "/api/v1/users/1").status == 409);
    CHECK(admin.call("GET", "/api/v1/auth/session").status == 200);
}

TEST_CASE("Users and auditors are refused every admin endpoint, and the refusal is audited")
{
    ServerWithAdmin server;
    auto user = server.userWithRole("plainuser", "user");
    auto auditor = server.userWithRole("auditor1", "auditor");

    // Every admin route the portal declares, read from its sources: a new admin endpoint is
    // covered here the day it is added.
    const auto adminOnly = adminRoutes();
    for (const auto& known : {"GET /api/v1/users", "DELETE /api/v1/users/1", "POST /api/v1/users/1/password",
                              "PUT /api/v1/admin/ldap", "POST /api/v1/admin/ldap/test", "GET /api/v1/admin/volume"}) {
        INFO(known);
        REQUIRE(std::count(adminOnly.begin(), adminOnly.end(), known) == 1);
    }

    std::vector<std::pair<std::string, std::string>> refusals; // actor, "METHOD /path"
    for (auto* client : {&user, &auditor}) {
        const auto actor = client == &user ? "plainuser" : "auditor1";
        for (const auto& route : adminOnly) {
            INFO(actor << ": " << route);
            const auto space = route.find(' ');
            const auto method = route.substr(0, space);
            const auto path = route.substr(space + 1);
            const auto body = method == "GET" || method == "DELETE" ? "" : R"({"role":"admin","password":"x"})";
            const auto response = client->call(method, path, body);
            CHECK(response.status == 403);
            CHECK(errorCode(response) == "forbidden");
            refusals.emplace_back(actor, route);
        }
    }
    for (const std::string path : {"/api/v1/audit", "/api/v1/audit/export", "/api/v1/audit/verify"}) {
        INFO(path);
        CHECK(user.call("GET", path).status == 403);
        refusals.emplace_back("plainuser", "GET " + path);
        CHECK(auditor.call("GET", path).status == 200);
    }
    // Users still reach their own resources.
    CHECK(user.call("GET", "/api/v1/auth/session").status == 200);
    // Nothing was changed by the refused requests.
    auto admin = server.admin();
    CHECK(json(admin.call("GET", "/api/v1/users/1").body)->getValue<std::string>("role") == "admin");

    // Each refusal is on record once, naming who asked for what.
    const auto denied = json(admin.call("GET", "/api/v1/audit?action=access.denied&per_page=200").body);
    const auto entries = denied->getArray("entries");
    std::vector<std::pair<std::string, std::string>> audited;
    for (std::size_t i = 0; i < entries->size(); ++i) {
        const auto entry = entries->getObject(static_cast<unsigned>(i));
        CHECK(entry->getValue<std::string>("outcome") == "failure");
        audited.emplace_back(entry->getValue<std::string>("actor"), entry->getValue<std::string>("target"));
    }
    for (const auto& refusal : refusals) {
        INFO(refusal.first << ": " << refusal.second);
        CHECK(std::count(audited.begin(), audited.end(), refusal) == 1);
    }
    CHECK(denied->getValue<std::size_t>("total") == refusals.size());
}

TEST_CASE("Hostile account input is refused with 4xx and stored data survives")
{
    ServerWithAdmin server({"--set", "server.max_body_bytes=65536"});
    auto admin = server.admin();
    const auto post = [&](const std::string& body) { return admin.call("POST", "/api/v1/users", body); };

    {
        // The server answers from the Content-Length alone and may close before the body is
        // sent, so the write may fail; the answer is still there to read.
        TlsClient raw(server.port());
        const std::string body(70000, ' ');
        try {
            raw.write("POST /api/v1/users HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                      "Cookie: __Host-parley_session=" + admin.cookie() + "\r\nX-CSRF-Token: " + admin.csrf() +
                      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
        }
        catch (const std::runtime_error&) {
        }
        CHECK(parseHttpResponse(raw.readAll()).status == 413);
    }
    for (const auto& body : std::vector<std::string>{"{", "[]", "\"text\"", "{\"username\":", "nul", "{\"a\":1}}"}) {
        INFO(body);
        CHECK(errorCode(post(body)) == "invalid_json");
    }
    // Deep nesting is refused before it is parsed (kApiJsonLimits).
    CHECK(errorCode(post(std::string(40, '[') + std::string(40, ']'))) == "json_limit_exceeded");
    CHECK(errorCode(post(std::string(5000, '[') + std::string(5000, ']'))) == "json_limit_exceeded");

    const std::vector<std::string> badNames{
        "bob'; DROP TABLE users; --", "robert\"); DELETE FROM users; --", "a b", "", "-leading",
        std::string(65, 'a'), "\xc3\xa9t\xc3\xa9", "name\\u0000"};
    for (const auto& name : badNames) {
        INFO(name);
        const auto response = post("{\"username\":" + jsonString(name) + ",\"password\":\"long-enough-pw\"}");
        CHECK(response.status == 400);
    }
    // Invalid UTF-8 and control characters in a display name.
    CHECK(post("{\"username\":\"u1\",\"displayName\":\"bad\xff\xfe\",\"password\":\"long-enough-pw\"}").status == 400);
    CHECK(post(R"({"username":"u1","displayName":"bad\ud800","password":"long-enough-pw"})").status == 400);
    CHECK(errorCode(post(R"({"username":"u2","displayName":"a\u0000b","password":"long-enough-pw"})")) ==
          "invalid_display_name");
    CHECK(errorCode(post("{\"username\":\"u3\",\"displayName\":\"" + std::string(200, 'x') +
                         "\",\"password\":\"long-enough-pw\"}")) == "invalid_display_name");
    CHECK(errorCode(post(R"({"username":"u4","password":"long-enough-pw","role":["admin"]})")) == "invalid_request");

    // SQL metacharacters where they are allowed are stored literally.
    const std::string sneaky = "Robert'); DROP TABLE users;-- \xe2\x9c\x93";
    const auto created = post("{\"username\":\"bobby\",\"displayName\":" + jsonString(sneaky) +
                              ",\"password\":\"long-enough-pw\"}");
    REQUIRE(created.status == 201);
    CHECK(json(created.body)->getValue<std::string>("displayName") == sneaky);
    const auto list = json(admin.call("GET", "/api/v1/users").body);
    CHECK(list->getValue<int>("total") == 2);
    CHECK(server.server().process().running());

    // Login with hostile names is just a failed login.
    ApiClient client(server.port());
    CHECK(client.login("admin' OR '1'='1", "x' OR '1'='1").status == 401);
    CHECK(client.login(std::string(300, 'a'), "x").status == 400);
}

TEST_CASE("Raising the iteration count rehashes a password at its next login")
{
    TempDir dir;
    const auto dataDir = dir / "data";
    REQUIRE(runParleyctl(ctlArgs(dataDir) + " user create-admin admin", kAdminPassword).exitCode == 0);
    ParleydProcess process({"--set", "server.data_dir=" + dataDir.string(), "--set",
                            "server.port=0", "--set",
                            "accounts.pbkdf2_iterations=2000"},
                           dir.path());
    const auto port = process.servingPort();
    REQUIRE(port != 0);
    ApiClient client(port);
    REQUIRE(client.login("admin", kAdminPassword).status == 200);
    CHECK(sqliteValue(dataDir, "SELECT password_hash FROM users WHERE username = 'admin'")
              .starts_with("$pbkdf2-sha256$i=2000$"));
    CHECK(client.login("admin", kAdminPassword).status == 200);
}
