#include <parley/loadgen/latency_histogram.h>
#include <parley/loadgen/process_usage.h>
#include <parley/loadgen/scenario.h>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>

using namespace parley::loadgen;

namespace {

Scenario parse(std::vector<std::string> arguments)
{
    ::setenv("PARLEY_LOADGEN_PASSWORD", "secret-password", 1);
    return parseScenario(arguments);
}

} // namespace

TEST_CASE("Load generator: options are read, and bad ones are refused naming the option")
{
    const auto s = parse({"--server", "127.0.0.1:8443", "--user", "owner", "--rooms", "25", "--publishers", "4",
                          "--subscribers", "0", "--record", "--duration", "60", "--insecure", "--server-pid", "123"});
    CHECK(s.host == "127.0.0.1");
    CHECK(s.port == 8443);
    CHECK(s.rooms == 25);
    CHECK(s.publishers == 4);
    CHECK(s.record);
    CHECK(s.duration == std::chrono::seconds(60));
    CHECK(s.serverPid == 123);
    CHECK(s.password == "secret-password"); // never from the command line
    const auto some = parse({"--user", "owner", "--record-rooms", "1"});
    CHECK(some.record);
    CHECK(some.recordRooms == 1);

    const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
        {{"--server", "127.0.0.1:8443"}, "--user is required"},
        {{"--user", "u", "--server", "no-port"}, "--server takes HOST:PORT"},
        {{"--user", "u", "--server", "h:99999"}, "port"},
        {{"--user", "u", "--rooms", "0"}, "--rooms takes a whole number from 1"},
        {{"--user", "u", "--record-rooms", "0"}, "--record-rooms takes a whole number from 1"},
        {{"--user", "u", "--signaling-only", "--record"}, "nothing to --record"},
        {{"--user", "u", "--rooms", "3x"}, "--rooms takes a whole number"},
        {{"--user", "u", "--rooms", ""}, "--rooms takes a whole number"},
        {{"--user", "u", "--rooms", "99999999999999999999"}, "--rooms takes a whole number"},
        {{"--user", "u", "--rooms"}, "--rooms needs a value"},
        {{"--user", "u", "--frobnicate"}, "unknown option \"--frobnicate\""},
        {{"--user", "u", "--no-video", "--no-audio"}, "leave nothing to send"},
        {{"--user", "u", "--insecure", "--ca-file", "ca.pem"}, "contradict"},
        {{"--user", "u", "--password-file", "/nonexistent/password"}, "cannot read the password"},
    };
    for (const auto& [arguments, message] : bad) {
        INFO(message);
        CHECK_THROWS_AS(parse(arguments), UsageError);
        CHECK_THROWS_WITH(parse(arguments), Catch::Contains(message));
    }
    ::unsetenv("PARLEY_LOADGEN_PASSWORD");
    CHECK_THROWS_WITH(parseScenario({"--user", "u"}), Catch::Contains("PARLEY_LOADGEN_PASSWORD"));
}

TEST_CASE("Load generator: latency percentiles come from fixed buckets, fine below a millisecond")
{
    LatencyHistogram histogram;
    CHECK(histogram.percentile(0.5) == 0);
    for (int i = 1; i <= 100; ++i)
        histogram.record(i); // 1..100 µs
    CHECK(histogram.count() == 100);
    CHECK(histogram.percentile(0.5) == 50);
    CHECK(histogram.percentile(0.99) == 99);
    CHECK(histogram.percentile(1.0) == 100);
    CHECK(histogram.max() == 100);
    histogram.record(-5);         // a clock step: counted as 0
    histogram.record(5'432);      // 10 µs buckets
    histogram.record(250'000);    // 1 ms buckets
    histogram.record(90'000'000); // past a second
    CHECK(histogram.percentile(1.0) == 1'000'001);
    LatencyHistogram other;
    other.record(5'432);
    other.merge(histogram);
    CHECK(other.count() == 105);
    CHECK(other.percentile(0.99) == 250'999);
    other.clear();
    CHECK(other.count() == 0);
    CHECK(other.max() == 0);
}

TEST_CASE("Load generator: /proc stat lines are read, hostile ones refused, and this process's usage is read")
{
    double seconds = 0;
    std::string name;
    const long ticks = sysconf(_SC_CLK_TCK);
    const auto line = "42 (parley media) S 1 2 3 4 5 6 7 8 9 10 " + std::to_string(3 * ticks) + " " +
                      std::to_string(ticks) + " 0 0 20 0";
    REQUIRE(parseProcStat(line, seconds, name));
    CHECK(name == "parley media");
    CHECK(seconds == Approx(4.0));
    // A name with parentheses and spaces: the last ')' ends it.
    REQUIRE(parseProcStat("7 (a) b) (c) S 1 2 3 4 5 6 7 8 9 10 11 12 13", seconds, name));
    CHECK(name == "a) b) (c");
    for (const std::string bad : {"", "no parentheses", "1 (x", ")(", "1 (x) S 1 2 3", "1 (x) S 1 2 3 4 5 6 7 8 9 10 x y",
                                  "1 (x) S 1 2 3 4 5 6 7 8 9 10 -1 99999999999999999999999"})
        CHECK_FALSE(parseProcStat(bad, seconds, name));

    const auto self = readProcessUsage(::getpid());
    CHECK(self.threads >= 1);
    CHECK(self.openFiles >= 3);
    CHECK(self.residentBytes > 1024 * 1024);
    CHECK_FALSE(self.cpuSecondsByThread.empty());
    CHECK_THROWS_WITH(readProcessUsage(999'999'999), Catch::Contains("/proc/999999999"));
}
