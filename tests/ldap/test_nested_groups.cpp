// group_mode nested_search: Parley follows nested groups itself, bounded and safe against cycles.
#include "directory_fixture.h"

#include <parley/ldap/directory.h>

#include <catch2/catch.hpp>

#include <algorithm>

using namespace parley::test;
using parley::ldap::AuthFailure;
using parley::ldap::Directory;
using parley::ldap::kMaxGroupNestingDepth;
using Catch::Contains;

namespace {

const std::string kGroups = "ou=groups,dc=example,dc=org";

std::string group(const std::string& cn, const std::string& member)
{
    return "dn: cn=" + cn + "," + kGroups + "\nobjectClass: groupOfNames\ncn: " + cn + "\nmember: " + member + "\n\n";
}

// dave is in "team (a)*" (filter metacharacters in its name), which is in engineering, which is
// in cycle-a; cycle-a and cycle-b contain each other.
void addNestedGroups(const SlapdServer& slapd)
{
    addEntries(slapd, group("team (a)*", "uid=dave,ou=people,dc=example,dc=org") +
                          group("engineering", "cn=team (a)*," + kGroups) +
                          group("cycle-a", "cn=engineering," + kGroups) + group("cycle-b", "cn=cycle-a," + kGroups) +
                          "dn: cn=cycle-a," + kGroups + "\nchangetype: modify\nadd: member\nmember: cn=cycle-b," +
                          kGroups + "\n");
}

parley::ldap::DirectorySettings nestedSettings(const SlapdServer& slapd)
{
    auto settings = openLdapSettings(slapd);
    settings.groupMode = "nested_search";
    settings.groupBase = kGroups;
    settings.userGroups = {"cn=cycle-b," + kGroups};
    return settings;
}

} // namespace

TEST_CASE("Nested groups give their members' members a role, and a cycle ends the walk")
{
    SlapdServer slapd;
    addNestedGroups(slapd);
    auto settings = nestedSettings(slapd);

    const auto dave = Directory(settings).authenticate("dave", "dave-password");
    REQUIRE(dave.user);
    CHECK(dave.user->role == "user");
    auto groups = dave.user->groups;
    std::sort(groups.begin(), groups.end());
    CHECK(groups == std::vector<std::string>{"cn=cycle-a," + kGroups, "cn=cycle-b," + kGroups,
                                             "cn=engineering," + kGroups, "cn=team (a)*," + kGroups});

    const auto steps = Directory::testConnection(settings, "dave", "dave-password");
    REQUIRE(steps.size() == 6);
    CHECK(steps[5].ok);
    CHECK_THAT(steps[5].message, Contains("4 groups found") && Contains("cn=cycle-b," + kGroups + " (user)") &&
                                     Contains("role: user"));

    // Without nesting, dave's own group maps to nothing.
    for (const auto* flat : {"search", "memberof"}) {
        INFO(flat);
        settings.groupMode = flat;
        CHECK(Directory(settings).authenticate("dave", "dave-password").failure == AuthFailure::NoGroup);
    }
    // The standard users keep their roles with nested_search.
    settings = nestedSettings(slapd);
    settings.adminGroups = {"cn=parley-admins," + kGroups};
    settings.userGroups = {"cn=parley-users," + kGroups};
    CHECK(Directory(settings).authenticate("alice", "alice-password").user->role == "admin");
    CHECK(Directory(settings).authenticate("bob", "bob-password").user->role == "user");
}

TEST_CASE("Nesting is followed to its bounded depth and no deeper, and the test says so")
{
    SlapdServer slapd;
    // level-1 holds dave, level-N holds level-(N-1), one level more than is followed.
    std::string ldif = group("level-1", "uid=dave,ou=people,dc=example,dc=org");
    for (int level = 2; level <= kMaxGroupNestingDepth + 1; ++level)
        ldif += group("level-" + std::to_string(level), "cn=level-" + std::to_string(level - 1) + "," + kGroups);
    addEntries(slapd, ldif);

    auto settings = nestedSettings(slapd);
    settings.userGroups = {"cn=level-" + std::to_string(kMaxGroupNestingDepth) + "," + kGroups};
    const auto deepest = Directory(settings).authenticate("dave", "dave-password");
    REQUIRE(deepest.user);
    CHECK(deepest.user->groups.size() == static_cast<std::size_t>(kMaxGroupNestingDepth));

    settings.userGroups = {"cn=level-" + std::to_string(kMaxGroupNestingDepth + 1) + "," + kGroups};
    CHECK(Directory(settings).authenticate("dave", "dave-password").failure == AuthFailure::NoGroup);
    const auto groups = Directory::testConnection(settings, "dave", "dave-password").back();
    CHECK(groups.step == "groups");
    CHECK_FALSE(groups.ok);
    CHECK_THAT(groups.message,
               Contains("groups nested deeper than " + std::to_string(kMaxGroupNestingDepth) + " levels were not read"));
}

TEST_CASE("Active Directory's in-chain rule stays a group filter of the search mode")
{
    // slapd does not know the rule: the search fails, and the test says where to look. (Against
    // Active Directory the same settings resolve nesting on the server.)
    SlapdServer slapd;
    auto settings = openLdapSettings(slapd);
    settings.groupMode = "search";
    settings.groupBase = kGroups;
    settings.groupFilter = "(member:1.2.840.113556.1.4.1941:={dn})";
    const auto groups = Directory::testConnection(settings, "alice", "alice-password").back();
    CHECK(groups.step == "groups");
    CHECK_THAT(groups.message, Contains("check group_base and group_filter"));
}
