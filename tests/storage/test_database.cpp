#include <parley/storage/database.h>
#include <parley/storage/migrator.h>
#include <parley/storage/schema.h>

#include "temp_dir.h"

#include <Poco/Data/Session.h>

#include <catch2/catch.hpp>

#include <thread>

using namespace Poco::Data::Keywords;
using parley::storage::Database;
using parley::storage::DatabaseError;
using parley::test::TempDir;

TEST_CASE("Opening the database applies Parley's schema and turns on WAL")
{
    TempDir dir;
    Database database({dir / "parley.db"});

    auto session = database.session();
    std::string mode;
    session << "PRAGMA journal_mode", into(mode), now;
    CHECK(mode == "wal");

    const auto readiness = database.readiness();
    CHECK(readiness.ready);
    CHECK(readiness.schemaVersion == static_cast<int>(parley::storage::schemaMigrations().size()));

    std::string installation;
    session << "SELECT installation_id FROM installation", into(installation), now;
    CHECK(installation.size() == 32);
}

TEST_CASE("Reopening the database keeps its data and identity")
{
    TempDir dir;
    std::string first;
    {
        Database database({dir / "parley.db"});
        auto session = database.session();
        session << "SELECT installation_id FROM installation", into(first), now;
    }
    Database reopened({dir / "parley.db"});
    auto session = reopened.session();
    std::string second;
    session << "SELECT installation_id FROM installation", into(second), now;
    CHECK(first == second);
}

TEST_CASE("Pooled connections enforce foreign keys")
{
    TempDir dir;
    const std::vector<parley::storage::Migration> schema{
        {1, "family",
         {"CREATE TABLE parent (id INTEGER PRIMARY KEY)",
          "CREATE TABLE child (parent_id INTEGER NOT NULL REFERENCES parent(id))"}}};
    Database database({dir / "fk.db"}, schema);
    auto session = database.session();
    CHECK_THROWS(session << "INSERT INTO child (parent_id) VALUES (42)", now);
}

TEST_CASE("Connections from several threads see each other's committed writes")
{
    TempDir dir;
    const std::vector<parley::storage::Migration> schema{
        {1, "counter", {"CREATE TABLE hits (thread INTEGER NOT NULL)"}}};
    Database database({dir / "threads.db"}, schema);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&database, t] {
            for (int i = 0; i < 25; ++i) {
                auto session = database.session();
                int thread = t;
                session << "INSERT INTO hits (thread) VALUES (?)", use(thread), now;
            }
        });
    for (auto& thread : threads)
        thread.join();
    auto session = database.session();
    int count = 0;
    session << "SELECT count(*) FROM hits", into(count), now;
    CHECK(count == 100);
}

TEST_CASE("A file that is not a database is refused by name and left untouched")
{
    TempDir dir;
    const auto file = dir / "parley.db";
    const std::string content(4096, 'x');
    parley::test::writeFile(file, content);

    REQUIRE_THROWS_AS(Database({file}), DatabaseError);
    REQUIRE_THROWS_WITH(Database({file}), Catch::Contains(file.string()));
    CHECK(parley::test::readFile(file) == content);
}

TEST_CASE("A missing database directory is reported, not created")
{
    TempDir dir;
    REQUIRE_THROWS_WITH(Database({dir / "absent" / "parley.db"}),
                        Catch::Contains("does not exist"));
}

TEST_CASE("Readiness fails when the schema is not at this build's version")
{
    TempDir dir;
    Database database({dir / "parley.db"});
    auto session = database.session();
    session << "DELETE FROM schema_migrations", now;

    const auto readiness = database.readiness();
    CHECK_FALSE(readiness.ready);
    CHECK_THAT(readiness.problem, Catch::Contains("version 0"));
}
