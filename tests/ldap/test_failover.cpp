// How long a login waits when a directory server does not answer.
#include "directory_fixture.h"
#include "fake_servers.h"

#include "unanswered_servers.h"

#include <parley/ldap/directory.h>

#include <catch2/catch.hpp>

using namespace parley::test;
using parley::ldap::AuthFailure;
using parley::ldap::Directory;
using parley::ldap::UnansweredServers;

namespace {

constexpr auto kTimeout = std::chrono::seconds(2);

double secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

TEST_CASE("A silent first server costs the first login one timeout and the next login nothing", "[timing]")
{
    SlapdServer slapd;
    SilentServer silent;
    for (const auto& scheme : {std::string("ldaps"), std::string("ldap")}) {
        INFO(scheme);
        auto settings = openLdapSettings(slapd);
        settings.uris = {silent.uri(scheme), scheme == "ldaps" ? slapd.ldapsUri() : slapd.ldapUri()};
        settings.networkTimeout = kTimeout;
        Directory directory(settings);

        auto started = std::chrono::steady_clock::now();
        REQUIRE(directory.authenticate("alice", "alice-password").user);
        const auto first = secondsSince(started);
        INFO("first login " << first << " s");
        CHECK(first >= 0.9 * kTimeout.count());
        CHECK(first < 1.5 * kTimeout.count()); // one timeout, not one per connection

        started = std::chrono::steady_clock::now();
        REQUIRE(directory.authenticate("bob", "bob-password").user);
        const auto second = secondsSince(started);
        INFO("second login " << second << " s");
        CHECK(second < 0.5 * kTimeout.count());
        // A wrong password is as quick: the user's own connection skips the silent server too.
        started = std::chrono::steady_clock::now();
        CHECK(directory.authenticate("bob", "wrong").failure == AuthFailure::WrongPassword);
        CHECK(secondsSince(started) < 0.5 * kTimeout.count());
    }
}

TEST_CASE("With only a silent server, a login waits one timeout and is told the directory is unavailable", "[timing]")
{
    SilentServer silent;
    SlapdServer slapd;
    auto settings = openLdapSettings(slapd);
    settings.uris = {silent.uri("ldaps")};
    settings.networkTimeout = kTimeout;
    Directory directory(settings);
    for (int login = 0; login < 2; ++login) {
        const auto started = std::chrono::steady_clock::now();
        const auto result = directory.authenticate("alice", "alice-password");
        const auto took = secondsSince(started);
        INFO("login " << login << ": " << took << " s");
        CHECK(result.failure == AuthFailure::DirectoryUnavailable);
        CHECK_THAT(result.detail, Catch::Contains("did not answer within 2 s"));
        // It is all there is, so it is still tried, but once per login, not twice.
        CHECK(took < 1.5 * kTimeout.count());
    }
}

TEST_CASE("A server that did not answer is tried last, for a while")
{
    using namespace std::chrono_literals;
    UnansweredServers unanswered(parley::ldap::kSkipUnansweredServerFor);
    const std::vector<std::string> uris{"ldaps://a", "ldaps://b", "ldaps://c"};
    const auto now = UnansweredServers::Clock::now();
    CHECK(unanswered.order(uris, now) == uris);
    unanswered.noAnswer("ldaps://a", now);
    unanswered.noAnswer("ldaps://b", now + 1s);
    CHECK(unanswered.order(uris, now + 2s) == std::vector<std::string>{"ldaps://c", "ldaps://a", "ldaps://b"});
    CHECK(unanswered.order(uris, now + 60s) == std::vector<std::string>{"ldaps://a", "ldaps://c", "ldaps://b"});
    CHECK(unanswered.order(uris, now + 61s) == uris);
    unanswered.noAnswer("ldaps://c", now);
    unanswered.answered("ldaps://c");
    CHECK(unanswered.order(uris, now + 2s).front() == "ldaps://c");
}
