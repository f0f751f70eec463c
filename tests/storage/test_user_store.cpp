#include <parley/storage/database.h>
#include <parley/storage/user_store.h>

#include "temp_dir.h"

#include <catch2/catch.hpp>

using parley::storage::Database;
using parley::storage::Role;
using parley::storage::User;
using parley::storage::UserStore;

namespace {
User named(const std::string& name, const std::string& source)
{
    User user;
    user.username = name;
    user.displayName = name;
    user.source = source;
    user.passwordHash = source == "local" ? "$pbkdf2-sha256$i=1$old$old" : "";
    return user;
}
} // namespace

TEST_CASE("Writing a user from an older copy does not undo a password change made meanwhile")
{
    parley::test::TempDir dir;
    Database database({dir / "parley.db"});
    UserStore users(database);
    auto stale = users.create(named("alice", "local"));
    REQUIRE(users.setPasswordHash(stale.id, "$pbkdf2-sha256$i=1$new$new"));
    stale.displayName = "Alice";
    REQUIRE(users.update(stale));
    const auto now = users.findById(stale.id).value();
    CHECK(now.passwordHash == "$pbkdf2-sha256$i=1$new$new");
    CHECK(now.displayName == "Alice");
}

TEST_CASE("A directory login cannot re-enable or rename a record disabled meanwhile")
{
    parley::test::TempDir dir;
    Database database({dir / "parley.db"});
    UserStore users(database);
    auto shadow = users.create(named("bob", "ldap"));
    CHECK(users.refreshDirectoryUser(shadow.id, "Bob B", Role::Admin));
    shadow = users.findById(shadow.id).value();
    CHECK(shadow.role == Role::Admin);
    shadow.disabled = true;
    REQUIRE(users.update(shadow));
    CHECK_FALSE(users.refreshDirectoryUser(shadow.id, "Bob C", Role::User));
    CHECK(users.findById(shadow.id)->disabled);
    CHECK(users.findById(shadow.id)->displayName == "Bob B");
    // Local records are never touched by a directory refresh, nor directory ones by a hash.
    const auto local = users.create(named("carol", "local"));
    CHECK_FALSE(users.refreshDirectoryUser(local.id, "Mallory", Role::Admin));
    CHECK_FALSE(users.setPasswordHash(shadow.id, "$pbkdf2-sha256$i=1$x$x"));
    CHECK(users.findById(shadow.id)->passwordHash.empty());
}

TEST_CASE("Usernames are unique and stored literally, metacharacters included")
{
    parley::test::TempDir dir;
    Database database({dir / "parley.db"});
    UserStore users(database);
    users.create(named("o'brien", "local"));
    CHECK_THROWS_AS(users.create(named("o'brien", "local")), parley::storage::DuplicateUserError);
    CHECK(users.findByUsername("o'brien"));
    CHECK_FALSE(users.findByUsername("o' OR '1'='1"));
    CHECK(users.count() == 1);
}

TEST_CASE("People search finds enabled users by either name, ignoring case in any script, without wildcards")
{
    parley::test::TempDir dir;
    Database database({dir / "parley.db"});
    UserStore users(database);
    const auto add = [&](const std::string& username, const std::string& displayName, bool disabled = false) {
        auto user = named(username, "local");
        user.displayName = displayName;
        user.disabled = disabled;
        users.create(user);
    };
    add("oedegaard", "Ödegaard, Åsa");
    add("bmueller", "Bernd Müller");
    add("amber", "Amber Lee");
    add("percent", "100% Sure_Thing");
    add("zmarta", "Marta Zed");
    add("gone", "Ödön Gone", true);

    const auto names = [&](std::string_view text, std::int64_t limit = 20) {
        std::vector<std::string> found;
        for (const auto& user : users.searchEnabled(text, limit))
            found.push_back(user.username);
        return found;
    };
    using List = std::vector<std::string>;
    CHECK(names("ödeg") == List{"oedegaard"}); // lower case finds an upper-case Ö
    CHECK(names("ÅSA") == List{"oedegaard"});
    CHECK(names("MÜLLER") == List{"bmueller"});
    CHECK(names("BMUE") == List{"bmueller"});
    CHECK(names("ödön").empty()); // disabled users are never found
    // LIKE's wildcards are plain characters.
    CHECK(names("%").size() == 1);
    CHECK(names("_").size() == 1);
    CHECK(names("m_l").empty()); // as a LIKE pattern it would find "Müller"
    // Names that start with the text come first, then by username.
    CHECK(names("m") == List{"zmarta", "amber", "bmueller"});
    CHECK(names("m", 2) == List{"zmarta", "amber"});
}
