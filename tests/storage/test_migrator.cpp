#include <parley/storage/migrator.h>

#include "temp_dir.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include <catch2/catch.hpp>

using namespace Poco::Data::Keywords;
using parley::storage::applyMigrations;
using parley::storage::Migration;
using parley::storage::MigrationError;
using parley::storage::schemaVersion;

namespace {

Poco::Data::Session openSession(const parley::test::TempDir& dir)
{
    Poco::Data::SQLite::Connector::registerConnector();
    return Poco::Data::Session("SQLite", (dir / "test.db").string());
}

bool tableExists(Poco::Data::Session& session, const std::string& name)
{
    int count = 0;
    std::string table = name;
    session << "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", use(table),
        into(count), now;
    return count == 1;
}

const std::vector<Migration> kTwoGood{
    {1, "notes", {"CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)"}},
    {2, "tags", {"CREATE TABLE tags (name TEXT PRIMARY KEY)", "INSERT INTO tags VALUES ('first')"}},
};

} // namespace

TEST_CASE("Migrations on a new database create the schema and record each version")
{
    parley::test::TempDir dir;
    auto session = openSession(dir);
    REQUIRE(schemaVersion(session) == 0);

    CHECK(applyMigrations(session, kTwoGood) == 2);

    CHECK(schemaVersion(session) == 2);
    CHECK(tableExists(session, "notes"));
    std::vector<std::string> names;
    session << "SELECT name FROM schema_migrations ORDER BY version", into(names), now;
    CHECK(names == std::vector<std::string>{"notes", "tags"});
}

TEST_CASE("Applying migrations again changes nothing")
{
    parley::test::TempDir dir;
    auto session = openSession(dir);
    applyMigrations(session, kTwoGood);
    session << "INSERT INTO notes (text) VALUES ('kept')", now;

    CHECK(applyMigrations(session, kTwoGood) == 0);
    CHECK(applyMigrations(session, kTwoGood) == 0);

    int notes = 0;
    int tags = 0;
    session << "SELECT count(*) FROM notes", into(notes), now;
    session << "SELECT count(*) FROM tags", into(tags), now;
    CHECK(notes == 1);
    CHECK(tags == 1); // the INSERT of migration 2 ran once
    CHECK(schemaVersion(session) == 2);
}

TEST_CASE("A failing migration leaves the database exactly as it was")
{
    parley::test::TempDir dir;
    auto session = openSession(dir);
    applyMigrations(session, std::vector<Migration>{kTwoGood[0]});
    session << "INSERT INTO notes (text) VALUES ('precious')", now;

    std::vector<Migration> broken = kTwoGood;
    broken.push_back({3, "broken", {"CREATE TABLE broken (x)", "INSERT INTO missing_table VALUES (1)"}});

    try {
        applyMigrations(session, broken);
        FAIL("a broken migration was accepted");
    }
    catch (const MigrationError& e) {
        const std::string message = e.what();
        CHECK_THAT(message, Catch::Contains("schema migration 3 'broken' failed at statement 2"));
        CHECK_THAT(message, Catch::Contains("missing_table"));
        CHECK_THAT(message, Catch::Contains("left unchanged at schema version 1"));
    }

    // Migration 2 succeeded before 3 failed, yet nothing of either remains.
    CHECK(schemaVersion(session) == 1);
    CHECK_FALSE(tableExists(session, "tags"));
    CHECK_FALSE(tableExists(session, "broken"));
    std::string text;
    session << "SELECT text FROM notes", into(text), now;
    CHECK(text == "precious");

    // Once fixed, the same database migrates normally.
    CHECK(applyMigrations(session, kTwoGood) == 1);
}

TEST_CASE("A database migrated by a newer build is refused unchanged")
{
    parley::test::TempDir dir;
    auto session = openSession(dir);
    applyMigrations(session, kTwoGood);

    REQUIRE_THROWS_WITH(applyMigrations(session, std::vector<Migration>{kTwoGood[0]}),
                        Catch::Contains("schema version 2 is newer than this build") &&
                            Catch::Contains("(1)"));
    CHECK(schemaVersion(session) == 2);
    CHECK(tableExists(session, "tags"));
}

TEST_CASE("A database whose recorded migration differs from this build's is refused")
{
    parley::test::TempDir dir;
    auto session = openSession(dir);
    applyMigrations(session, kTwoGood);

    auto renamed = kTwoGood;
    renamed[1].name = "labels";
    REQUIRE_THROWS_WITH(applyMigrations(session, renamed),
                        Catch::Contains("recorded as 'tags' but this build calls it 'labels'"));
}

TEST_CASE("Migration lists must be numbered without gaps")
{
    parley::test::TempDir dir;
    auto session = openSession(dir);
    const std::vector<Migration> gap{{1, "a", {"CREATE TABLE a (x)"}}, {3, "c", {"CREATE TABLE c (x)"}}};
    CHECK_THROWS_AS(applyMigrations(session, gap), std::invalid_argument);
    CHECK(schemaVersion(session) == 0);
}
