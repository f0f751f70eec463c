// The online copy of the database (sqlite3_backup) taken while another connection writes.
#include "temp_dir.h"

#include <parley/storage/database.h>
#include <parley/storage/database_snapshot.h>

#include <Poco/Data/Session.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using namespace Poco::Data::Keywords;
using namespace parley::storage;
using parley::test::TempDir;
using Catch::Contains;

TEST_CASE("A database copy taken during writes is one consistent state, complete in one file")
{
    TempDir dir;
    Database database({dir / "parley.db", std::chrono::milliseconds(5000), 4});
    {
        auto session = database.session();
        session << "CREATE TABLE pairs (n INTEGER)", now;
        session << "CREATE TABLE filler (blob TEXT)", now;
        for (int i = 0; i < 200; ++i)
            session << "INSERT INTO filler VALUES (hex(randomblob(2000)))", now;
    }
    // Each transaction adds two rows: a consistent copy holds an even number.
    std::atomic<bool> stop = false;
    std::atomic<int> written = 0;
    std::thread writer([&] {
        auto session = database.session();
        while (!stop) {
            session << "BEGIN IMMEDIATE", now;
            session << "INSERT INTO pairs VALUES (1)", now;
            session << "INSERT INTO pairs VALUES (2)", now;
            session << "COMMIT", now;
            ++written;
        }
    });
    std::vector<std::filesystem::path> copies;
    for (int i = 0; i < 5; ++i) {
        copies.push_back(dir / ("copy" + std::to_string(i) + ".db"));
        snapshotDatabase(dir / "parley.db", copies.back(), std::chrono::milliseconds(5000));
    }
    stop = true;
    writer.join();
    REQUIRE(written > 0);
    for (const auto& copy : copies) {
        CHECK_FALSE(std::filesystem::exists(copy.string() + "-wal"));
        Poco::Data::Session session("SQLite", copy.string());
        int pairs = -1;
        int filler = 0;
        std::string mode;
        session << "SELECT count(*) FROM pairs", into(pairs), now;
        session << "SELECT count(*) FROM filler", into(filler), now;
        session << "PRAGMA journal_mode", into(mode), now;
        CHECK(pairs % 2 == 0);
        CHECK(filler == 200);
        CHECK(mode == "delete");
    }
}

TEST_CASE("A database copy refuses an existing target and a missing or non-database source")
{
    TempDir dir;
    Database database({dir / "parley.db", std::chrono::milliseconds(5000), 2});
    parley::test::writeFile(dir / "exists.db", "keep me");
    CHECK_THROWS_WITH(snapshotDatabase(dir / "parley.db", dir / "exists.db", std::chrono::milliseconds(100)),
                      Contains("cannot create the database copy"));
    CHECK(parley::test::readFile(dir / "exists.db") == "keep me");
    CHECK_THROWS_WITH(snapshotDatabase(dir / "none.db", dir / "copy.db", std::chrono::milliseconds(100)),
                      Contains("does not exist"));
    parley::test::writeFile(dir / "text.db", std::string(8192, 'x'));
    CHECK_THROWS_AS(snapshotDatabase(dir / "text.db", dir / "copy2.db", std::chrono::milliseconds(100)), DatabaseError);
    CHECK_FALSE(std::filesystem::exists(dir / "copy2.db"));
}
