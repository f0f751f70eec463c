#include <parley/storage/audit_log.h>
#include <parley/storage/audit_repeat_folder.h>
#include <parley/storage/database.h>

#include "temp_dir.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using parley::storage::AuditEvent;
using parley::storage::AuditLog;
using parley::storage::AuditRepeatFolder;
using parley::storage::AuditRepeatPolicy;
using parley::storage::AuditRepeatSummary;
using parley::storage::Database;
using parley::test::TempDir;

namespace {

using TimePoint = std::chrono::system_clock::time_point;

AuditEvent guess(const std::string& actor, const std::string& reason = "unknown_user")
{
    return {actor, "192.0.2.9", "login.failure", "user:" + actor, "failure", "{\"reason\":\"" + reason + "\"}"};
}

/// Admits `n` copies of `event` 100 ms apart from `start`; returns how many were to be recorded.
int admitMany(AuditRepeatFolder& folder, const AuditEvent& event, int n, TimePoint start,
              std::vector<AuditRepeatSummary>& due)
{
    int recorded = 0;
    for (int i = 0; i < n; ++i)
        recorded += folder.admit(event, start + i * 100ms, due) ? 1 : 0;
    return recorded;
}

Poco::JSON::Object::Ptr parse(const std::string& text)
{
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

} // namespace

TEST_CASE("Identical audit events past the first few in a window are counted, not recorded")
{
    AuditRepeatFolder folder({60s, 3, 100});
    const TimePoint start{std::chrono::hours(500000)};
    std::vector<AuditRepeatSummary> due;
    CHECK(admitMany(folder, guess("mallory"), 20, start, due) == 3);
    CHECK(due.empty());
    // Anything that differs is another event: recorded.
    CHECK(folder.admit(guess("mallory", "wrong_password"), start + 3s, due));
    auto other = guess("mallory");
    other.sourceAddress = "192.0.2.10";
    CHECK(folder.admit(other, start + 3s, due));

    CHECK(folder.takeDue(start + 59s).empty());
    const auto summaries = folder.takeDue(start + 61s);
    REQUIRE(summaries.size() == 1);
    CHECK(summaries[0].count == 17);
    CHECK(summaries[0].first == start + 300ms);
    CHECK(summaries[0].last == start + 1900ms);
    const auto written = summaries[0].asEvent();
    CHECK(written.action == "login.failure");
    CHECK(written.actor == "mallory");
    const auto details = parse(written.details);
    CHECK(details->getValue<std::string>("reason") == "unknown_user");
    CHECK(details->getValue<int>("repeats") == 17);
    CHECK(details->has("firstRepeat"));
    CHECK(details->has("lastRepeat"));
}

TEST_CASE("A flood that goes on is summarised once per window, with nothing recorded one by one")
{
    AuditRepeatFolder folder({60s, 3, 100});
    const TimePoint start{std::chrono::hours(500000)};
    std::vector<AuditRepeatSummary> due;
    int recorded = 0;
    int summaries = 0;
    std::int64_t counted = 0;
    // Ten minutes of ten guesses a second.
    for (int i = 0; i < 6000; ++i) {
        due.clear();
        recorded += folder.admit(guess("mallory"), start + i * 100ms, due) ? 1 : 0;
        for (const auto& summary : due) {
            ++summaries;
            counted += summary.count;
        }
    }
    // Once it has stopped for a whole window, the event is recorded one by one again.
    due.clear();
    const bool recordedAgain = folder.admit(guess("mallory"), start + 20min, due);
    CHECK(recordedAgain);
    recorded += recordedAgain ? 1 : 0;
    for (const auto& summary : due) {
        ++summaries;
        counted += summary.count;
    }
    CHECK(recorded == 4);
    CHECK(summaries <= 11);
    CHECK(recorded + counted == 6001); // none lost
}

TEST_CASE("The folder follows a bounded number of events and summarises the oldest early")
{
    AuditRepeatFolder folder({60s, 1, 50});
    const TimePoint start{std::chrono::hours(500000)};
    std::vector<AuditRepeatSummary> due;
    admitMany(folder, guess("first"), 5, start, due);
    for (int i = 0; i < 10000; ++i)
        folder.admit(guess("name-" + std::to_string(i)), start + 1s, due);
    CHECK(folder.tracked() <= 50);
    // The evicted flood was not lost: its count was handed back to be written.
    REQUIRE_FALSE(due.empty());
    CHECK(due.front().event.actor == "first");
    CHECK(due.front().count == 4);
}

TEST_CASE("A policy without a window is refused")
{
    CHECK_THROWS_AS(AuditRepeatFolder({0s, 3, 10}), std::invalid_argument);
    CHECK_THROWS_AS(AuditRepeatFolder({60s, 3, 0}), std::invalid_argument);
}

TEST_CASE("The audit log writes folded events as one summary entry that verifies in the chain")
{
    TempDir dir;
    Database database({dir / "parley.db"});
    auto clock = std::chrono::system_clock::now();
    AuditLog log(database, std::string(32, 'k'), [&clock] { return clock; }, {60s, 2, 100});
    int written = 0;
    for (int i = 0; i < 30; ++i) {
        clock += 10ms;
        written += log.append(guess("mallory")).has_value() ? 1 : 0;
    }
    CHECK(written == 2);
    CHECK(log.count({}) == 2);
    log.flushRepeats(); // the window has not ended
    CHECK(log.count({}) == 2);
    clock += 61s;
    log.flushRepeats();
    REQUIRE(log.count({}) == 3);
    const auto summary = log.query({}, 2, 1).front();
    CHECK(parse(summary.event.details)->getValue<int>("repeats") == 28);
    // A later event goes after the summary; the chain verifies.
    log.append(guess("eve"));
    CHECK(log.count({}) == 4);
    CHECK(log.verify().ok);

    // At shutdown, windows still open are written too.
    for (int i = 0; i < 5; ++i)
        log.append(guess("trudy"));
    log.flushRepeats(true);
    CHECK(log.count({"", "", "trudy", "", ""}) == 3);
}
