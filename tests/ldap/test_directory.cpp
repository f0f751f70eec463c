// The directory client against a real slapd (tests/support/slapd_server.h).
#include "directory_fixture.h"
#include "fake_servers.h"
#include "directory_connection.h"
#include "tls_client.h"

#include <parley/ldap/directory.h>

#include <catch2/catch.hpp>


using namespace parley::test;
using parley::ldap::AuthFailure;
using parley::ldap::Directory;
using Catch::Contains;


TEST_CASE("Directory users log in with the role of their group")
{
    SlapdServer slapd;
    Directory directory(openLdapSettings(slapd));
    const auto alice = directory.authenticate("alice", "alice-password");
    REQUIRE(alice.user);
    CHECK(alice.user->role == "admin");
    CHECK(alice.user->dn == "uid=alice,ou=people,dc=example,dc=org");
    CHECK(alice.user->displayName == "Alice Admin");
    CHECK(alice.user->mail == "alice@example.org");
    CHECK(directory.authenticate("carol", "carol-password").user->role == "auditor");
    CHECK(directory.authenticate("bob", "bob-password").user->role == "user");
    CHECK(directory.authenticate("dave", "dave-password").failure == AuthFailure::NoGroup);
}

TEST_CASE("Wrong passwords and unknown users are told apart only in the reason code")
{
    SlapdServer slapd;
    Directory directory(openLdapSettings(slapd));
    CHECK(directory.authenticate("alice", "wrong").failure == AuthFailure::WrongPassword);
    CHECK(directory.authenticate("zoe", "whatever").failure == AuthFailure::UnknownUser);
}

TEST_CASE("An empty password is refused without contacting the directory")
{
    SlapdServer slapd;
    Directory directory(openLdapSettings(slapd));
    slapd.stop(); // any bind attempt would now fail as "unavailable"
    const auto result = directory.authenticate("alice", "");
    CHECK(result.failure == AuthFailure::EmptyPassword);
    CHECK_FALSE(result.user);
}

TEST_CASE("Filter metacharacters in the login name are escaped, not interpreted")
{
    SlapdServer slapd;
    Directory directory(openLdapSettings(slapd));
    for (const auto& login : std::vector<std::string>{"*", "*)(uid=*))(|(uid=*", "alice)(uid=*", "al*", "alice\\",
                                    std::string("alice\0", 6), "(|(uid=alice))"}) {
        INFO(login);
        const auto result = directory.authenticate(login, "alice-password");
        CHECK_FALSE(result.user);
        CHECK(result.failure == AuthFailure::UnknownUser);
    }
    CHECK(parley::ldap::escapeFilterValue("*)(uid=*))(|(uid=*") == "\\2A\\29\\28uid=\\2A\\29\\29\\28|\\28uid=\\2A");
}

TEST_CASE("StartTLS and LDAPS both work, and plain LDAP is refused unless allowed")
{
    SlapdServer slapd;
    auto settings = openLdapSettings(slapd);
    CHECK(Directory(settings).authenticate("bob", "bob-password").user);
    settings.uris = {slapd.ldapsUri()};
    CHECK(Directory(settings).authenticate("bob", "bob-password").user);
    // Without the test CA the server's certificate cannot be trusted.
    settings.caFile = "/etc/ssl/certs/ca-certificates.crt";
    const auto untrusted = Directory(settings).authenticate("bob", "bob-password");
    CHECK(untrusted.failure == AuthFailure::DirectoryUnavailable);
    CHECK_THAT(untrusted.detail, Contains("ldaps://"));
}

TEST_CASE("A directory certificate issued for another host is refused")
{
    SlapdServer slapd(SlapdServer::Certificate::ForWrongHost);
    for (const auto& uri : {slapd.ldapUri(), slapd.ldapsUri()}) {
        INFO(uri);
        auto settings = openLdapSettings(slapd);
        settings.uris = {uri};
        const auto result = Directory(settings).authenticate("bob", "bob-password");
        CHECK(result.failure == AuthFailure::DirectoryUnavailable);
    }
    // The same server is fine when the admin turns verification off (a lab).
    auto lab = openLdapSettings(slapd);
    lab.verifyCertificate = false;
    CHECK(Directory(lab).authenticate("bob", "bob-password").user);
}

TEST_CASE("With the first server dead or hung, the second answers within the timeouts")
{
    SlapdServer slapd;
    SilentServer hung;
    auto settings = openLdapSettings(slapd);
    settings.uris = {hung.uri("ldaps"), "ldap://127.0.0.1:" + std::to_string(freePort()), slapd.ldapsUri()};
    settings.networkTimeout = std::chrono::seconds(2);
    settings.operationTimeout = std::chrono::seconds(2);
    Directory directory(settings);
    const auto started = std::chrono::steady_clock::now();
    const auto result = directory.authenticate("alice", "alice-password");
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE(result.user);
    CHECK(result.user->role == "admin");
    // The hung server costs one network timeout: the user's own connection skips it.
    CHECK(took < std::chrono::milliseconds(3500));
}

TEST_CASE("A directory that is down gives a clear error, and the service connection comes back")
{
    SlapdServer slapd;
    Directory directory(openLdapSettings(slapd));
    REQUIRE(directory.authenticate("bob", "bob-password").user);
    slapd.stop();
    const auto down = directory.authenticate("bob", "bob-password");
    CHECK(down.failure == AuthFailure::DirectoryUnavailable);
    CHECK_THAT(down.detail, Contains("127.0.0.1"));
    slapd.start();
    CHECK(directory.authenticate("bob", "bob-password").user);
}

TEST_CASE("Active Directory-shaped entries: sAMAccountName, userPrincipalName, memberOf, disabled flag")
{
    SlapdServer slapd;
    auto settings = activeDirectorySettings(slapd);
    const auto erin = Directory(settings).authenticate("erin", "erin-password");
    REQUIRE(erin.user);
    CHECK(erin.user->login == "erin");
    CHECK(erin.user->displayName == "Erin Example");
    CHECK(erin.user->role == "user");
    const auto frank = Directory(settings).authenticate("frank", "frank-password");
    CHECK(frank.failure == AuthFailure::Disabled);

    settings.userFilter = "(&(objectClass=parleyTestADUser)(userPrincipalName={login}))";
    settings.loginAttribute = "userPrincipalName";
    const auto upn = Directory(settings).authenticate("erin@corp.example.org", "erin-password");
    REQUIRE(upn.user);
    CHECK(upn.user->login == "erin@corp.example.org");
}

TEST_CASE("Groups can be found by a group search instead of memberOf")
{
    SlapdServer slapd;
    auto settings = openLdapSettings(slapd);
    settings.groupMode = "search";
    settings.groupBase = "ou=groups,dc=example,dc=org";
    const auto alice = Directory(settings).authenticate("alice", "alice-password");
    REQUIRE(alice.user);
    CHECK(alice.user->role == "admin");
    CHECK(alice.user->groups.size() == 2);
}

TEST_CASE("The connection test reports each failure distinctly, with what to fix")
{
    SlapdServer slapd;
    const auto good = openLdapSettings(slapd);
    const auto lastStep = [](const std::vector<parley::ldap::TestStep>& steps) { return steps.back(); };

    auto steps = Directory::testConnection(good, "alice", "alice-password");
    REQUIRE(steps.size() == 6);
    for (const auto& step : steps)
        CHECK(step.ok);
    CHECK_THAT(steps[3].message, Contains("finds 4 entries"));
    CHECK_THAT(steps[5].message, Contains("role: admin"));

    auto unreachable = good;
    unreachable.uris = {"ldap://127.0.0.1:" + std::to_string(freePort())};
    CHECK(lastStep(Directory::testConnection(unreachable)).step == "connect");
    CHECK_FALSE(lastStep(Directory::testConnection(unreachable)).ok);

    auto untrusted = good;
    untrusted.caFile = "/etc/ssl/certs/ca-certificates.crt";
    const auto tls = lastStep(Directory::testConnection(untrusted));
    CHECK(tls.step == "tls");
    CHECK_FALSE(tls.ok);
    CHECK_THAT(tls.message, Contains("ca_file"));

    auto badBind = good;
    badBind.bindPassword = "wrong";
    const auto bind = lastStep(Directory::testConnection(badBind));
    CHECK(bind.step == "service_bind");
    CHECK_THAT(bind.message, Contains("Invalid credentials") && Contains("bind_password"));

    auto badBase = good;
    badBase.userBase = "ou=nowhere,dc=example,dc=org";
    const auto search = lastStep(Directory::testConnection(badBase));
    CHECK(search.step == "search");
    CHECK_FALSE(search.ok);
    CHECK_THAT(search.message, Contains("user_base"));

    const auto user = lastStep(Directory::testConnection(good, "alice", "wrong"));
    CHECK(user.step == "user_bind");
    CHECK_THAT(user.message, Contains("ldap_wrong_password"));
}

TEST_CASE("A failed step on a user's own entry is told without the DN or the server's words")
{
    // As DirectoryConnection::bind words a refused bind, with a diagnostic that quotes the DN.
    const parley::ldap::DirectoryError refused(
        "bind as uid=alice,ou=people,dc=example,dc=org on ldap://127.0.0.1:389 failed: Server is unwilling to "
        "perform (account uid=alice,ou=people,dc=example,dc=org is locked)",
        53);
    const auto told = refused.withoutDetail("the user's own bind");
    CHECK(std::string(told.what()) == "the user's own bind failed: Server is unwilling to perform (LDAP result 53)");
    CHECK(told.code() == 53);
    CHECK_FALSE(told.serverDown());
}
