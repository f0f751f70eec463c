// Directory login through the real server, against a real slapd.
#include "../ldap/fake_servers.h"
#include "account_fixture.h"
#include "ldap_args.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/JSON/Array.h>

#include <algorithm>

using namespace parley::test;
using Catch::Contains;

namespace {

std::string passwordHashOf(const std::filesystem::path& dataDir, const std::string& username)
{
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session session("SQLite", (dataDir / "parley.db").string());
    std::string hash = "(none)";
    std::string name = username;
    session << "SELECT password_hash FROM users WHERE username = ?", Poco::Data::Keywords::use(name),
        Poco::Data::Keywords::into(hash), Poco::Data::Keywords::now;
    return hash;
}

std::vector<std::string> reasons(ApiClient& admin)
{
    std::vector<std::string> list;
    const auto entries = json(admin.call("GET", "/api/v1/audit?action=login.failure&per_page=200").body)
                             ->getArray("entries");
    for (std::size_t i = 0; i < entries->size(); ++i)
        list.push_back(entries->getObject(static_cast<unsigned>(i))->getObject("details")->getValue<std::string>("reason"));
    return list;
}

} // namespace

TEST_CASE("A directory user logs in with the role of their group, and no password is stored")
{
    SlapdServer slapd;
    ServerWithAdmin server(ldapArgs(slapd));
    ApiClient alice(server.port());
    const auto login = alice.login("alice", "alice-password");
    REQUIRE(login.status == 200);
    const auto user = json(login.body)->getObject("user");
    CHECK(user->getValue<std::string>("role") == "admin");
    CHECK(user->getValue<std::string>("source") == "ldap");
    CHECK(user->getValue<std::string>("displayName") == "Alice Admin");
    CHECK(passwordHashOf(server.server().dataDir(), "alice").empty());
    // Alice is an admin through her directory group: admin endpoints answer.
    CHECK(alice.call("GET", "/api/v1/users").status == 200);

    ApiClient carol(server.port());
    REQUIRE(carol.login("Carol", "carol-password").status == 200);
    CHECK(carol.call("GET", "/api/v1/users").status == 403);
    CHECK(carol.call("GET", "/api/v1/audit").status == 200);

    auto admin = server.admin();
    const auto success = json(admin.call("GET", "/api/v1/audit?action=login.success&actor=alice").body)
                             ->getArray("entries")->getObject(0);
    CHECK(success->getObject("details")->getValue<std::string>("source") == "ldap");
}

TEST_CASE("Directory login failures look like local ones and are audited with reason codes")
{
    SlapdServer slapd;
    ServerWithAdmin server(ldapArgs(slapd));
    ApiClient client(server.port());
    const auto wrong = client.login("bob", "wrong-password");
    const auto unknown = client.login("nobody", "whatever-password");
    const auto noGroup = client.login("dave", "dave-password");
    for (const auto* response : {&wrong, &unknown, &noGroup}) {
        CHECK(response->status == 401);
        CHECK(response->body == wrong.body);
    }
    CHECK(httpsRequest(server.port(), "POST", "/api/v1/auth/login", R"({"username":"bob","password":""})").status == 400);
    // Filter syntax in the name never reaches the directory as a filter.
    CHECK(client.login("*)(uid=*))(|(uid=*", "bob-password").status == 401);
    CHECK(client.login("*", "bob-password").status == 401);

    auto admin = server.admin();
    const auto codes = reasons(admin);
    for (const auto* code : {"ldap_wrong_password", "ldap_unknown_user", "ldap_no_mapped_group"}) {
        INFO(code);
        CHECK(std::find(codes.begin(), codes.end(), code) != codes.end());
    }
    CHECK(admin.call("GET", "/api/v1/audit/export").body.find("wrong-password") == std::string::npos);
}

TEST_CASE("An empty password is refused before the directory sees it, and audited")
{
    SlapdServer slapd;
    ServerWithAdmin server(ldapArgs(slapd));
    auto admin = server.admin();
    for (const auto* name : {"bob", "admin", "nobody"}) { // directory, local, unknown
        INFO(name);
        const auto refused = httpsRequest(server.port(), "POST", "/api/v1/auth/login",
                                          std::string(R"({"username":")") + name + R"(","password":""})");
        CHECK(refused.status == 400);
        CHECK_THAT(refused.body, Contains("'password' is empty"));
        const auto entries = json(admin.call("GET", std::string("/api/v1/audit?action=login.failure&actor=") + name).body)
                                 ->getArray("entries");
        REQUIRE(entries->size() == 1);
        const auto entry = entries->getObject(0);
        CHECK(entry->getValue<std::string>("outcome") == "failure");
        CHECK(entry->getValue<std::string>("target") == std::string("user:") + name);
        CHECK(entry->getObject("details")->getValue<std::string>("reason") == "empty_password");
    }
}

TEST_CASE("A hung first directory server delays one login by one timeout, not every login", "[timing]")
{
    SlapdServer slapd;
    SilentServer hung;
    auto args = ldapArgs(slapd); // network timeout 2 s
    std::replace(args.begin(), args.end(), "ldap.uris=" + slapd.ldapUri(),
                 "ldap.uris=" + hung.uri("ldaps") + " " + slapd.ldapUri());
    ServerWithAdmin server(args);
    const auto timedLogin = [&server](const std::string& name) {
        const auto started = std::chrono::steady_clock::now();
        CHECK(ApiClient(server.port()).login(name, name + "-password").status == 200);
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    };
    const auto first = timedLogin("alice");
    const auto second = timedLogin("bob");
    INFO("first login " << first << " s, second " << second << " s");
    CHECK(first > 1.8);
    CHECK(first < 3.0); // one timeout, not one per connection
    CHECK(second < 1.0);
}

TEST_CASE("With directory login on, an unknown name costs as much as a local account's password check", "[timing]")
{
    // Unknown names go to the directory; local accounts pay for PBKDF2. Without care the
    // difference would tell an attacker which names are local (admin) accounts.
    SlapdServer slapd;
    auto args = ldapArgs(slapd);
    args.insert(args.end(), {"--set", "accounts.pbkdf2_iterations=300000", "--set",
                             "login.account_free_attempts=1000", "--set", "login.address_free_attempts=1000"});
    ServerWithAdmin server(args);
    ApiClient client(server.port());
    const auto timing = timeFailedLogins(client, "admin", 7);
    INFO("medians: local " << timing.localMedian << " s, unknown via directory " << timing.unknownMedian
                           << " s; median ratio " << timing.medianRatio);
    CHECK(timing.medianRatio > 0.6);
}

TEST_CASE("Directory users cannot be given a local password")
{
    SlapdServer slapd;
    ServerWithAdmin server(ldapArgs(slapd));
    REQUIRE(ApiClient(server.port()).login("bob", "bob-password").status == 200);
    auto admin = server.admin();
    const auto users = json(admin.call("GET", "/api/v1/users").body)->getArray("users");
    std::string bobId;
    for (std::size_t i = 0; i < users->size(); ++i)
        if (users->getObject(static_cast<unsigned>(i))->getValue<std::string>("username") == "bob")
            bobId = std::to_string(users->getObject(static_cast<unsigned>(i))->getValue<int>("id"));
    REQUIRE_FALSE(bobId.empty());
    const auto reset = admin.call("POST", "/api/v1/users/" + bobId + "/password", R"({"password":"local-password"})");
    CHECK(reset.status == 409);
    CHECK(errorCode(reset) == "directory_user");
    CHECK(ApiClient(server.port()).login("bob", "local-password").status == 401);
}

TEST_CASE("With the directory down, directory users get a clear 503 and local admins still log in")
{
    SlapdServer slapd;
    ServerWithAdmin server(ldapArgs(slapd));
    REQUIRE(ApiClient(server.port()).login("bob", "bob-password").status == 200);
    slapd.stop();
    const auto started = std::chrono::steady_clock::now();
    const auto down = ApiClient(server.port()).login("bob", "bob-password");
    CHECK(down.status == 503);
    CHECK(errorCode(down) == "directory_unavailable");
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(8));
    auto admin = server.admin();
    CHECK(admin.call("GET", "/api/v1/auth/session").status == 200);
    slapd.start();
    CHECK(ApiClient(server.port()).login("bob", "bob-password").status == 200);
}

TEST_CASE("Admins read and change the directory settings, and the bind password never comes back")
{
    SlapdServer slapd;
    ServerWithAdmin server(ldapArgs(slapd));
    auto admin = server.admin();
    const auto current = json(admin.call("GET", "/api/v1/admin/ldap").body);
    CHECK(current->getValue<std::string>("source") == "configuration_file");
    const auto settings = current->getObject("settings");
    CHECK(settings->getValue<bool>("bindPasswordSet"));
    CHECK_FALSE(settings->has("bindPassword"));
    CHECK(admin.call("GET", "/api/v1/admin/ldap").body.find(SlapdServer::kServicePassword) == std::string::npos);

    // A wrong service password, saved: directory logins fail as unavailable.
    const auto saved = admin.call("PUT", "/api/v1/admin/ldap", R"({"bindPassword":"not-the-service-secret"})");
    REQUIRE(saved.status == 200);
    CHECK(json(saved.body)->getValue<std::string>("source") == "admin_api");
    CHECK(ApiClient(server.port()).login("bob", "bob-password").status == 503);

    REQUIRE(admin.call("PUT", "/api/v1/admin/ldap",
                       "{\"bindPassword\":\"" + std::string(SlapdServer::kServicePassword) + "\"}").status == 200);
    CHECK(ApiClient(server.port()).login("bob", "bob-password").status == 200);
    CHECK(admin.call("PUT", "/api/v1/admin/ldap", R"({"groupMode":"sometimes"})").status == 400);
    const auto nested = admin.call("PUT", "/api/v1/admin/ldap",
                                   R"({"groupMode":"nested_search","groupBase":"ou=groups,dc=example,dc=org"})");
    REQUIRE(nested.status == 200);
    CHECK(json(nested.body)->getObject("settings")->getValue<std::string>("groupMode") == "nested_search");
    CHECK(ApiClient(server.port()).login("alice", "alice-password").status == 200);
    CHECK(admin.call("PUT", "/api/v1/admin/ldap", R"({"uris":["http://x"]})").status == 400);
    CHECK(admin.call("PUT", "/api/v1/admin/ldap", R"({"networkTimeoutSeconds":0})").status == 400);

    // Audited without the secret.
    const auto audit = admin.call("GET", "/api/v1/audit/export?action=config.change");
    CHECK_THAT(audit.body, Contains("ldap.bindPassword") && Contains("changed"));
    CHECK(audit.body.find("not-the-service-secret") == std::string::npos);
    CHECK(audit.body.find(SlapdServer::kServicePassword) == std::string::npos);

    REQUIRE(admin.call("DELETE", "/api/v1/admin/ldap").status == 200);
    CHECK(json(admin.call("GET", "/api/v1/admin/ldap").body)->getValue<std::string>("source") == "configuration_file");
    auto user = server.userWithRole("plain", "user");
    CHECK(user.call("GET", "/api/v1/admin/ldap").status == 403);
    CHECK(user.call("POST", "/api/v1/admin/ldap/test", "{}").status == 403);
}

TEST_CASE("The test-connection endpoint reports each failure distinctly")
{
    SlapdServer slapd;
    ServerWithAdmin server(ldapArgs(slapd));
    auto admin = server.admin();
    const auto run = [&admin](const std::string& body) {
        const auto response = admin.call("POST", "/api/v1/admin/ldap/test", body);
        REQUIRE(response.status == 200);
        return json(response.body);
    };
    const auto lastStep = [](const Poco::JSON::Object::Ptr& result) {
        const auto steps = result->getArray("steps");
        return steps->getObject(static_cast<unsigned>(steps->size() - 1));
    };

    const auto good = run(R"({"testUser":"alice","testPassword":"alice-password"})");
    CHECK(good->getValue<bool>("ok"));
    CHECK(good->getArray("steps")->size() == 6);

    const std::vector<std::pair<std::string, std::string>> cases{
        {"{\"settings\":{\"uris\":[\"ldap://127.0.0.1:" + std::to_string(freePort()) + "\"]}}", "connect"},
        {R"({"settings":{"caFile":"/etc/ssl/certs/ca-certificates.crt"}})", "tls"},
        {R"({"settings":{"bindPassword":"wrong"}})", "service_bind"},
        {R"({"settings":{"userBase":"ou=nowhere,dc=example,dc=org"}})", "search"},
        {R"({"testUser":"alice","testPassword":"wrong"})", "user_bind"},
        {R"({"testUser":"dave","testPassword":"dave-password"})", "groups"},
        {R"({"settings":{"groupMode":"nested_search","groupBase":"ou=people,dc=example,dc=org"},)"
         R"("testUser":"alice","testPassword":"alice-password"})", "groups"},
    };
    for (const auto& [body, step] : cases) {
        INFO(body);
        const auto result = run(body);
        CHECK_FALSE(result->getValue<bool>("ok"));
        CHECK(lastStep(result)->getValue<std::string>("step") == step);
        CHECK_FALSE(lastStep(result)->getValue<bool>("ok"));
        CHECK_FALSE(lastStep(result)->getValue<std::string>("message").empty());
    }
    // Testing never changes what is in force.
    CHECK(ApiClient(server.port()).login("bob", "bob-password").status == 200);
}
