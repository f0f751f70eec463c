// What the admin's connection test says when the directory's TLS, answers or groups are wrong,
// against a real slapd and real sockets.
#include "directory_fixture.h"
#include "fake_servers.h"
#include "tls_client.h"

#include <parley/ldap/directory.h>

#include <catch2/catch.hpp>

using namespace parley::test;
using parley::ldap::AuthFailure;
using parley::ldap::Directory;
using parley::ldap::TestStep;
using Catch::Contains;

namespace {

TestStep lastStep(const std::vector<TestStep>& steps)
{
    REQUIRE_FALSE(steps.empty());
    return steps.back();
}

double secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

TEST_CASE("The connection test names a certificate that does not name the host")
{
    SlapdServer slapd(SlapdServer::Certificate::ForWrongHost);
    for (const auto& uri : {slapd.ldapUri(), slapd.ldapsUri()}) {
        INFO(uri);
        auto settings = openLdapSettings(slapd);
        settings.uris = {uri};
        const auto tls = lastStep(Directory::testConnection(settings));
        CHECK(tls.step == "tls");
        CHECK_FALSE(tls.ok);
        CHECK_THAT(tls.message, Contains("the certificate of 127.0.0.1 names only wrong.example"));
        CHECK_THAT(tls.message, !Contains("unknown error code") && !Contains("does not trust"));
    }
}

TEST_CASE("The connection test names a certificate from a CA the server does not trust")
{
    SlapdServer slapd;
    SlapdServer other; // its own CA, also called "Parley Test CA", with another key
    for (const auto& caFile : {std::string("/etc/ssl/certs/ca-certificates.crt"), other.caFile().string()}) {
        for (const auto& uri : {slapd.ldapUri(), slapd.ldapsUri()}) {
            INFO(uri << " with " << caFile);
            auto settings = openLdapSettings(slapd);
            settings.uris = {uri};
            settings.caFile = caFile;
            const auto tls = lastStep(Directory::testConnection(settings));
            CHECK(tls.step == "tls");
            CHECK_FALSE(tls.ok);
            CHECK_THAT(tls.message, Contains("issued by \"CN=Parley Test CA\", a CA the server does not trust: "
                                             "set ldap.ca_file") &&
                                        Contains(caFile));
            CHECK_THAT(tls.message, !Contains("unknown error code") && !Contains("names only"));
        }
    }
    // Both wrong at once: both are named.
    SlapdServer wrongHost(SlapdServer::Certificate::ForWrongHost);
    auto settings = openLdapSettings(wrongHost);
    settings.caFile = other.caFile().string();
    const auto both = lastStep(Directory::testConnection(settings));
    CHECK_THAT(both.message, Contains("names only wrong.example") && Contains("does not trust"));

    auto unreadable = openLdapSettings(slapd);
    unreadable.caFile = "/nonexistent/ca.pem";
    CHECK_THAT(lastStep(Directory::testConnection(unreadable)).message,
               Contains("ldap.ca_file /nonexistent/ca.pem cannot be read"));
}

TEST_CASE("A server that accepts the connection and says nothing is reported as not answering")
{
    SilentServer silent;
    SlapdServer slapd;
    auto settings = openLdapSettings(slapd);
    settings.networkTimeout = std::chrono::seconds(2);
    for (const auto* scheme : {"ldap", "ldaps"}) {
        INFO(scheme);
        settings.uris = {silent.uri(scheme)};
        const auto started = std::chrono::steady_clock::now();
        const auto steps = Directory::testConnection(settings);
        const auto took = secondsSince(started);
        REQUIRE(steps.size() == 1);
        CHECK(steps[0].step == "connect");
        CHECK_FALSE(steps[0].ok);
        CHECK_THAT(steps[0].message, Contains(silent.uri(scheme) + " did not answer within 2 s") &&
                                         Contains("accepted the TCP connection"));
        CHECK_THAT(steps[0].message, !Contains("ca_file") && !Contains("TLS") && !Contains("certificate"));
        CHECK(took < 3.5);
    }
    // A silent server before a good one: the test goes on with the good one, and says so.
    settings.uris = {silent.uri("ldaps"), slapd.ldapsUri()};
    const auto steps = Directory::testConnection(settings, "bob", "bob-password");
    REQUIRE(steps.size() == 6);
    CHECK(steps[0].ok);
    CHECK_THAT(steps[0].message, Contains("reached " + slapd.ldapsUri()) && Contains("did not answer within 2 s"));
    CHECK(steps[5].ok);
}

TEST_CASE("Something other than a directory at the port gets a plain answer, not a certificate hint")
{
    SlapdServer slapd;
    auto settings = openLdapSettings(slapd);

    // A plain LDAP port named as ldaps://: the TLS handshake fails.
    settings.uris = {"ldaps://127.0.0.1:" + std::to_string(slapd.ldapPort())};
    auto tls = lastStep(Directory::testConnection(settings));
    CHECK(tls.step == "tls");
    CHECK_THAT(tls.message, Contains("TLS handshake with 127.0.0.1") && Contains("speaks TLS"));

    // A web server at an ldap:// port.
    ScriptedServer web("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    settings.uris = {web.uri("ldap")};
    tls = lastStep(Directory::testConnection(settings));
    CHECK_FALSE(tls.ok);
    CHECK_THAT(tls.message, Contains("answered StartTLS with something that is not LDAP"));

    // A directory that refuses StartTLS (resultCode 52, unavailable).
    ScriptedServer refusing(std::string("\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x34\x04\x00\x04\x00", 14));
    settings.uris = {refusing.uri("ldap")};
    tls = lastStep(Directory::testConnection(settings));
    CHECK(tls.step == "tls");
    CHECK_THAT(tls.message, Contains("refused StartTLS"));

    // An answer that claims to be 4 GB long.
    ScriptedServer huge(std::string("\x30\x84\xff\xff\xff\xff\x02\x01\x01", 9));
    settings.uris = {huge.uri("ldap")};
    tls = lastStep(Directory::testConnection(settings));
    CHECK_FALSE(tls.ok);
    CHECK_THAT(tls.message, Contains("not LDAP"));
}

TEST_CASE("A user in none of the mapped groups binds, and the groups step says what was found")
{
    SlapdServer slapd;
    const auto settings = openLdapSettings(slapd);

    // dave is in no group at all.
    auto steps = Directory::testConnection(settings, "dave", "dave-password");
    REQUIRE(steps.size() == 6);
    CHECK(steps[4].step == "user_bind");
    CHECK(steps[4].ok);
    CHECK(steps[5].step == "groups");
    CHECK_FALSE(steps[5].ok);
    CHECK_THAT(steps[5].message, Contains("uid=dave,ou=people,dc=example,dc=org has no memberOf values") &&
                                     Contains("role: none") && Contains("ldap_no_mapped_group"));

    // In a group that maps to no role: it is listed as not mapped.
    addEntries(slapd, "dn: cn=staff,ou=groups,dc=example,dc=org\nobjectClass: groupOfNames\ncn: staff\n"
                      "member: uid=dave,ou=people,dc=example,dc=org\n");
    steps = Directory::testConnection(settings, "dave", "dave-password");
    REQUIRE(steps.size() == 6);
    CHECK_FALSE(steps[5].ok);
    CHECK_THAT(steps[5].message, Contains("1 group found by the memberOf attribute") &&
                                     Contains("cn=staff,ou=groups,dc=example,dc=org (not mapped)") &&
                                     Contains("role: none"));
    // A login is still refused as in no mapped group.
    CHECK(Directory(settings).authenticate("dave", "dave-password").failure == AuthFailure::NoGroup);

    // Alice's groups, each with its role.
    steps = Directory::testConnection(settings, "alice", "alice-password");
    REQUIRE(steps.size() == 6);
    CHECK(steps[5].ok);
    CHECK_THAT(steps[5].message, Contains("cn=parley-admins,ou=groups,dc=example,dc=org (admin)") &&
                                     Contains("cn=parley-users,ou=groups,dc=example,dc=org (user)") &&
                                     Contains("role: admin"));

    // With no user_groups, anyone may log in as a user, and the step says why.
    auto open = settings;
    open.userGroups.clear();
    steps = Directory::testConnection(open, "dave", "dave-password");
    CHECK(steps.back().ok);
    CHECK_THAT(steps.back().message, Contains("role: user (user_groups is empty"));

    // Wrong password and empty password stop at user_bind.
    CHECK_THAT(lastStep(Directory::testConnection(settings, "dave", "wrong")).message,
               Contains("ldap_wrong_password"));
    const auto empty = lastStep(Directory::testConnection(settings, "dave", ""));
    CHECK(empty.step == "user_bind");
    CHECK_THAT(empty.message, Contains("ldap_empty_password"));
}

TEST_CASE("The test result says when a group search came back empty")
{
    SlapdServer slapd;
    auto settings = openLdapSettings(slapd);
    settings.groupMode = "search";
    settings.groupBase = "ou=people,dc=example,dc=org"; // no groups there
    auto groups = lastStep(Directory::testConnection(settings, "alice", "alice-password"));
    CHECK(groups.step == "groups");
    CHECK_FALSE(groups.ok);
    CHECK_THAT(groups.message, Contains("the group search came back empty") &&
                                   Contains("under 'ou=people,dc=example,dc=org'") &&
                                   Contains("check group_base and group_filter"));
    settings.groupMode = "nested_search";
    groups = lastStep(Directory::testConnection(settings, "alice", "alice-password"));
    CHECK_FALSE(groups.ok);
    CHECK_THAT(groups.message, Contains("the group search came back empty"));
    settings.groupBase = "ou=nowhere,dc=example,dc=org";
    groups = lastStep(Directory::testConnection(settings, "alice", "alice-password"));
    CHECK(groups.step == "groups");
    CHECK_FALSE(groups.ok);
    CHECK_THAT(groups.message, Contains("No such object"));
}
