// Recordings in the database: ownership when accounts go, retention, composition.
#include <parley/storage/database.h>
#include <parley/storage/recording_store.h>
#include <parley/storage/user_store.h>

#include "stored_user.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>

using namespace parley::storage;
using parley::test::addUser;

TEST_CASE("A deleted owner's recordings do not pass to the next account given the same id")
{
    parley::test::TempDir dir;
    Database database({dir / "parley.db"});
    RecordingStore store(database);
    const auto alice = addUser(database, "alice");
    const auto recording = store.create(1, "Consultation", alice, "alice", 1000).id;
    store.finish(recording, 1100, {{"0-a-audio.webm", "a/0", "audio", "opus", 0, 100000, 5000, "Alice", ""}}, "");
    REQUIRE(store.visibleTo(alice).size() == 1);

    REQUIRE(UserStore(database).remove(alice));
    CHECK_FALSE(store.find(recording)->ownerId);
    // SQLite hands the highest id out again.
    const auto next = addUser(database, "mallory");
    REQUIRE(next == alice);
    CHECK(store.visibleTo(next).empty());
    CHECK(store.all().size() == 1);
}

TEST_CASE("Retention picks recordings by their own days or the default, never running or composing ones")
{
    parley::test::TempDir dir;
    Database database({dir / "parley.db"});
    RecordingStore store(database);
    const std::int64_t day = 86400;
    const auto own = store.create(1, "A", std::nullopt, "x", 0, 2).id;     // keeps two days
    const auto kept = store.create(1, "B", std::nullopt, "x", 0, 0).id;    // 0: kept for good
    const auto global = store.create(1, "C", std::nullopt, "x", 0).id;     // the default
    const auto running = store.create(1, "D", std::nullopt, "x", 0, 1).id; // still recording
    const auto composing = store.create(1, "E", std::nullopt, "x", 0, 1).id;
    const StoredTrack track{"0-a-audio.webm", "a/0", "audio", "opus", 0, 1000, 50, "", ""};
    for (const auto id : {own, kept, global, composing})
        store.finish(id, 100, {track}, "");
    store.beginComposition(composing);

    CHECK(store.expired(100 + day, 0).empty());
    CHECK(store.expired(100 + 2 * day, 0) == std::vector<std::int64_t>{own});
    CHECK(store.expired(100 + 2 * day, 1) == (std::vector<std::int64_t>{own, global}));
    CHECK(store.expired(100 + 400 * day, 0) == std::vector<std::int64_t>{own});
    (void)running;
}

TEST_CASE("Compositions to run: pending or cut short, attempts counted, cancellations not")
{
    parley::test::TempDir dir;
    Database database({dir / "parley.db"});
    RecordingStore store(database);
    const StoredTrack track{"0-a-audio.webm", "a/0", "audio", "opus", 0, 1000, 50, "", ""};
    const auto a = store.create(1, "A", std::nullopt, "x", 0).id;
    const auto empty = store.create(1, "B", std::nullopt, "x", 0).id;
    store.finish(a, 10, {track}, "");
    store.finish(empty, 10, {}, "");
    CHECK(store.find(empty)->composition == "failed");
    CHECK(store.compositionsToRun(2) == std::vector<std::int64_t>{a});

    store.beginComposition(a); // the server dies here: still "composing"
    CHECK(store.compositionsToRun(2) == std::vector<std::int64_t>{a});
    store.beginComposition(a);
    store.cancelComposition(a); // the server stops cleanly: not an attempt
    CHECK(store.find(a)->composeAttempts == 1);
    store.beginComposition(a);
    store.failComposition(a, "broken", false);
    CHECK(store.compositionsToRun(5).empty());
    CHECK(store.find(a)->composeError == "broken");

    store.finishComposition(a, "1/recording.webm", 1000, 4096, std::string(64, 'a'), 0.5);
    const auto done = store.find(a);
    CHECK(done->composition == "done");
    CHECK(done->durationMs == 1000);
    CHECK(done->sizeBytes == 4096);
    CHECK(done->composeSeconds == Approx(0.5));
    CHECK_FALSE(done->verifiedAt);
    store.setIntegrity(a, "ok", 77);
    CHECK(store.find(a)->verifiedAt == 77);
}
