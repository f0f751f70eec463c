#include <parley/storage/audit_log.h>
#include <parley/storage/database.h>

#include "temp_dir.h"

#include <Poco/Data/Session.h>
#include <Poco/Exception.h>

#include <catch2/catch.hpp>

#include <thread>

using namespace Poco::Data::Keywords;
using parley::storage::AuditEvent;
using parley::storage::AuditFilter;
using parley::storage::AuditLog;
using parley::storage::Database;
using parley::test::TempDir;

namespace {

const std::string kKey(32, 'k');

AuditEvent event(const std::string& actor, const std::string& action)
{
    return {actor, "192.0.2.7", action, "user:" + actor, "success", "{\"n\":1}"};
}

/// A log with `n` entries, and raw SQL access for tampering "directly in SQLite".
struct Fixture
{
    TempDir dir;
    Database database{{dir / "parley.db"}};
    AuditLog log{database, kKey};

    explicit Fixture(int n = 5)
    {
        for (int i = 1; i <= n; ++i)
            log.append(event("user" + std::to_string(i), i % 2 ? "login.success" : "login.failure"));
    }

    void sql(const std::string& statement)
    {
        auto session = database.session();
        session << statement, now;
    }

    /// The error SQLite gives for `statement`, or "" if it succeeded.
    std::string sqlError(const std::string& statement)
    {
        try {
            sql(statement);
        }
        catch (const Poco::Exception& e) {
            return e.displayText();
        }
        return {};
    }

    // What an intruder with the database file does first.
    void dropGuards()
    {
        sql("DROP TRIGGER audit_log_no_update");
        sql("DROP TRIGGER audit_log_prune_only");
    }
};

} // namespace

TEST_CASE("Audit entries are numbered and chained by SHA-256")
{
    Fixture f(3);
    const auto entries = f.log.query({}, 0, 10);
    REQUIRE(entries.size() == 3);
    CHECK(entries[0].prevHash == AuditLog::kGenesisHash);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        CHECK(entries[i].seq == static_cast<std::int64_t>(i) + 1);
        CHECK(entries[i].hash == AuditLog::chainHash(entries[i]));
        CHECK(entries[i].hash.size() == 64);
        if (i > 0)
            CHECK(entries[i].prevHash == entries[i - 1].hash);
    }
    CHECK(entries[0].time.size() == 24); // 2026-11-23T10:00:00.123Z
    const auto result = f.log.verify();
    CHECK(result.ok);
    CHECK(result.entriesChecked == 3);
}

TEST_CASE("The canonical content is unambiguous netstrings")
{
    parley::storage::AuditEntry a;
    a.seq = 7;
    a.time = "t";
    a.event = {"ab", "c", "x", "y", "z", "{}"};
    parley::storage::AuditEntry b = a;
    b.event.actor = "a";
    b.event.sourceAddress = "bc";
    CHECK(AuditLog::canonicalContent(a) == "1:7,1:t,2:ab,1:c,1:x,1:y,1:z,2:{},");
    CHECK(AuditLog::canonicalContent(a) != AuditLog::canonicalContent(b));
}

TEST_CASE("The database refuses to change or delete audit entries")
{
    Fixture f(3);
    CHECK_THAT(f.sqlError("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"),
               Catch::Contains("append-only"));
    CHECK_THAT(f.sqlError("DELETE FROM audit_log WHERE seq = 2"),
               Catch::Contains("only by retention pruning"));
    CHECK(f.log.verify().ok);
}

TEST_CASE("Verification names an entry edited directly in SQLite")
{
    Fixture f(5);
    f.dropGuards();
    f.sql("UPDATE audit_log SET outcome = 'failure' WHERE seq = 3");
    const auto result = f.log.verify();
    CHECK_FALSE(result.ok);
    REQUIRE(result.firstBadSeq);
    CHECK(*result.firstBadSeq == 3);
    CHECK_THAT(result.problem, Catch::Contains("entry 3 was altered"));
}

TEST_CASE("Verification names an edited entry even when its own hash was recomputed")
{
    Fixture f(5);
    auto entry = f.log.query({}, 1, 1).front(); // seq 2
    REQUIRE(entry.seq == 2);
    entry.event.actor = "someone-else";
    const auto forgedHash = AuditLog::chainHash(entry);
    f.dropGuards();
    f.sql("UPDATE audit_log SET actor = 'someone-else', hash = '" + forgedHash + "' WHERE seq = 2");
    const auto result = f.log.verify();
    CHECK_FALSE(result.ok);
    REQUIRE(result.firstBadSeq);
    CHECK(*result.firstBadSeq == 2);
}

TEST_CASE("Verification names an entry deleted from the middle or the end")
{
    SECTION("middle")
    {
        Fixture f(5);
        f.dropGuards();
        f.sql("DELETE FROM audit_log WHERE seq = 2");
        const auto result = f.log.verify();
        CHECK_FALSE(result.ok);
        CHECK(result.firstBadSeq == 2);
        CHECK_THAT(result.problem, Catch::Contains("entry 2 was removed"));
    }
    SECTION("end")
    {
        Fixture f(5);
        f.dropGuards();
        f.sql("DELETE FROM audit_log WHERE seq = 5");
        const auto result = f.log.verify();
        CHECK_FALSE(result.ok);
        CHECK(result.firstBadSeq == 5);
        CHECK_THAT(result.problem, Catch::Contains("entry 5 was removed"));
    }
}

TEST_CASE("Verification names an entry inserted directly in SQLite")
{
    Fixture f(4);
    f.sql("INSERT INTO audit_log VALUES (5, '2026-01-01T00:00:00.000Z', 'mallory', 'x', "
          "'login.success', 'user:mallory', 'success', '{}', '" +
          std::string(64, '0') + "', '" + std::string(64, 'f') + "')");
    const auto result = f.log.verify();
    CHECK_FALSE(result.ok);
    CHECK(result.firstBadSeq == 5);
}

TEST_CASE("An inserted entry with a correctly computed hash is caught by the signed head")
{
    Fixture f(4);
    auto last = f.log.query({}, 3, 1).front();
    parley::storage::AuditEntry forged;
    forged.seq = 5;
    forged.time = last.time;
    forged.event = {"mallory", "x", "user.create", "user:mallory", "success", "{}"};
    forged.prevHash = last.hash;
    forged.hash = AuditLog::chainHash(forged);
    f.sql("INSERT INTO audit_log VALUES (5, '" + forged.time + "', 'mallory', 'x', 'user.create', "
          "'user:mallory', 'success', '{}', '" + forged.prevHash + "', '" + forged.hash + "')");
    const auto result = f.log.verify();
    CHECK_FALSE(result.ok);
    CHECK(result.firstBadSeq == 5);
    CHECK_THAT(result.problem, Catch::Contains("inserted"));
}

TEST_CASE("A log verified with another installation's key fails at the signed head")
{
    Fixture f(2);
    AuditLog other(f.database, std::string(32, 'x'));
    const auto result = other.verify();
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.problem, Catch::Contains("signed head"));
}

TEST_CASE("Retention prunes old entries and what remains still verifies")
{
    TempDir dir;
    Database database({dir / "parley.db"});
    auto clock = std::chrono::system_clock::now() - std::chrono::hours(24 * 200);
    AuditLog log(database, kKey, [&clock] { return clock; });
    for (int i = 0; i < 10; ++i)
        log.append(event("old" + std::to_string(i), "login.success"));
    clock = std::chrono::system_clock::now();
    for (int i = 0; i < 3; ++i)
        log.append(event("new" + std::to_string(i), "login.success"));

    CHECK(log.prune(std::chrono::hours(24 * 180)) == 10);
    CHECK(log.count({}) == 4); // three new entries and the audit.prune event
    CHECK(log.query({}, 0, 1).front().seq == 11);
    const auto result = log.verify();
    CHECK(result.ok);
    CHECK(result.entriesChecked == 4);
    CHECK(log.prune(std::chrono::hours(24 * 180)) == 0);

    // The checkpoint is MACed: moving it is detected.
    auto session = database.session();
    session << "DROP TRIGGER audit_checkpoint_no_update", now;
    session << "UPDATE audit_checkpoint SET pruned = 3", now;
    const auto tampered = log.verify();
    CHECK_FALSE(tampered.ok);
    CHECK(tampered.firstBadSeq == 10);
    CHECK_THAT(tampered.problem, Catch::Contains("checkpoint"));
}

TEST_CASE("Entries newer than the checkpoint still cannot be deleted")
{
    TempDir dir;
    Database database({dir / "parley.db"});
    auto clock = std::chrono::system_clock::now() - std::chrono::hours(24 * 400);
    AuditLog log(database, kKey, [&clock] { return clock; });
    log.append(event("a", "login.success"));
    log.append(event("b", "login.success"));
    clock = std::chrono::system_clock::now();
    log.append(event("c", "login.success"));
    REQUIRE(log.prune(std::chrono::hours(24)) == 2);
    auto session = database.session();
    CHECK_THROWS(session << "DELETE FROM audit_log WHERE seq = 3", now);
}

TEST_CASE("Audit queries filter by time, actor and action, and paginate")
{
    Fixture f(9);
    CHECK(f.log.count({}) == 9);
    CHECK(f.log.count({"", "", "user3", "", ""}) == 1);
    CHECK(f.log.count({"", "", "", "login.failure", ""}) == 4);
    CHECK(f.log.count({"", "", "", "login.", ""}) == 9);
    CHECK(f.log.count({"", "", "", "login", ""}) == 0);
    CHECK(f.log.count({"", "", "", "%", ""}) == 0); // not a LIKE pattern
    CHECK(f.log.count({"", "", "", "", "success"}) == 9);
    CHECK(f.log.count({"", "", "", "", "failure"}) == 0);
    const auto all = f.log.query({}, 0, 100);
    CHECK(f.log.count({all[4].time, "", "", "", ""}) >= 5);
    CHECK(f.log.count({"", "2000-01-01", "", "", ""}) == 0);
    const auto page = f.log.query({}, 3, 2);
    REQUIRE(page.size() == 2);
    CHECK(page[0].seq == 4);
    CHECK(page[1].seq == 5);
    std::vector<std::int64_t> seen;
    f.log.forEach({"", "", "", "login.success", ""}, [&](const auto& e) { seen.push_back(e.seq); });
    CHECK(seen == std::vector<std::int64_t>{1, 3, 5, 7, 9});
}

TEST_CASE("Concurrent appends keep the chain intact")
{
    Fixture f(0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&f, t] {
            for (int i = 0; i < 20; ++i)
                // Distinct events: identical ones would be folded (AuditRepeatFolder).
                f.log.append(event("t" + std::to_string(t) + "." + std::to_string(i), "login.success"));
        });
    for (auto& thread : threads)
        thread.join();
    const auto result = f.log.verify();
    CHECK(result.ok);
    CHECK(result.entriesChecked == 80);
}
