#include <parley/portal/accounts/login_throttle.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <vector>

using namespace std::chrono_literals;
using parley::portal::LoginThrottle;
using parley::portal::ThrottleSettings;

namespace {

/// A clock the test moves by hand.
struct ManualClock
{
    LoginThrottle::Clock::time_point now = LoginThrottle::Clock::now();
    std::function<LoginThrottle::Clock::time_point()> function()
    {
        return [this] { return now; };
    }
};

/// One failed attempt, as a wrong password makes it. Returns whether it was admitted.
bool fail(LoginThrottle& throttle, const std::string& subject, const std::string& address)
{
    std::chrono::seconds wait{0};
    return throttle.admit(subject, address, wait).has_value();
}

} // namespace

TEST_CASE("An account is locked after its free attempts, with doubling lockouts up to the maximum")
{
    ManualClock clock;
    LoginThrottle throttle(ThrottleSettings{3, 1000, 10s, 35s, 900s}, clock.function());
    std::chrono::seconds wait{0};
    CHECK_FALSE(throttle.admit("alice", "a1", wait)->startedLockout());
    CHECK_FALSE(throttle.admit("alice", "a2", wait)->startedLockout());
    CHECK(throttle.lockedFor("alice", "a3") == 0s);
    CHECK(throttle.admit("alice", "a3", wait)->startedLockout());
    CHECK(throttle.lockedFor("alice", "elsewhere") == 10s);
    // While locked, attempts are refused without being checked or counted.
    CHECK_FALSE(throttle.admit("alice", "a4", wait).has_value());
    CHECK(wait == 10s);
    clock.now += 10s;
    REQUIRE(fail(throttle, "alice", "a4"));
    CHECK(throttle.lockedFor("alice", "elsewhere") == 20s);
    clock.now += 20s;
    REQUIRE(fail(throttle, "alice", "a5"));
    CHECK(throttle.lockedFor("alice", "elsewhere") == 35s); // capped, not 40
    CHECK(throttle.lockedFor("bob", "elsewhere") == 0s);
}

TEST_CASE("Success clears the account's counter but not the address's")
{
    LoginThrottle throttle(ThrottleSettings{3, 4, 10s, 60s, 900s});
    fail(throttle, "alice", "198.51.100.1");
    fail(throttle, "alice", "198.51.100.1");
    {
        std::chrono::seconds wait{0};
        auto attempt = throttle.admit("alice", "198.51.100.1", wait);
        REQUIRE(attempt);
        CHECK(attempt->startedLockout()); // counted before the check...
        attempt->succeeded();             // ...and taken back when it proves right
    }
    CHECK(throttle.lockedFor("alice", "192.0.2.1") == 0s);
    REQUIRE(fail(throttle, "alice", "198.51.100.1"));
    CHECK(throttle.lockedFor("alice", "192.0.2.1") == 0s);
    // Fourth failure from the address: the address is locked for every account name.
    REQUIRE(fail(throttle, "carol", "198.51.100.1"));
    CHECK(throttle.lockedFor("dave", "198.51.100.1") == 10s);
    CHECK(throttle.lockedFor("dave", "192.0.2.1") == 0s);
}

TEST_CASE("Parallel guesses are counted before they are checked and get no more checks than sequential ones")
{
    LoginThrottle throttle(ThrottleSettings{5, 20, 30s, 900s, 900s});
    std::vector<LoginThrottle::Attempt> running;
    std::chrono::seconds wait{0};
    // Only kMaxConcurrentPerSubject checks of one account run at once; more wait a second.
    for (int i = 0; i < LoginThrottle::kMaxConcurrentPerSubject; ++i)
        running.push_back(*throttle.admit("admin", "192.0.2.7", wait));
    CHECK_FALSE(throttle.admit("admin", "192.0.2.7", wait).has_value());
    CHECK(wait == 1s);
    // As checks finish (as failures), others get in: five in all, then the lock, which
    // began with the fifth admission, before its password was checked.
    int admitted = LoginThrottle::kMaxConcurrentPerSubject;
    for (int round = 0; round < 300 && admitted < 300; ++round) {
        running.clear();
        auto next = throttle.admit("admin", "192.0.2." + std::to_string(round % 200), wait);
        if (!next)
            continue;
        ++admitted;
        running.push_back(std::move(*next));
    }
    CHECK(admitted == 5);
    CHECK(throttle.lockedFor("admin", "198.51.100.1") == 30s);

    // The same per address: only kMaxConcurrentPerAddress checks at once from one address.
    std::vector<LoginThrottle::Attempt> fromOne;
    for (int i = 0; i < LoginThrottle::kMaxConcurrentPerAddress; ++i)
        fromOne.push_back(*throttle.admit("user" + std::to_string(i), "203.0.113.5", wait));
    CHECK_FALSE(throttle.admit("other", "203.0.113.5", wait).has_value());
}

TEST_CASE("An attempt that proved nothing is taken back, with the lockout it started")
{
    LoginThrottle throttle(ThrottleSettings{2, 20, 30s, 900s, 900s});
    REQUIRE(fail(throttle, "bob", "192.0.2.1"));
    std::chrono::seconds wait{0};
    {
        auto attempt = throttle.admit("bob", "192.0.2.1", wait);
        REQUIRE(attempt);
        CHECK(attempt->startedLockout());
        attempt->discount(); // the directory did not answer, say
    }
    CHECK(throttle.lockedFor("bob", "192.0.2.1") == 0s);
    CHECK(fail(throttle, "bob", "192.0.2.1"));
    CHECK(throttle.lockedFor("bob", "192.0.2.1") == 30s);
}

TEST_CASE("A flood of distinct account names and addresses does not grow the throttle past its bound")
{
    LoginThrottle throttle(ThrottleSettings{5, 1000000000, 1s, 1s, 900s});
    const std::size_t flood = LoginThrottle::kMaxTracked + 500;
    for (std::size_t i = 0; i < flood; ++i)
        fail(throttle, "name" + std::to_string(i), "2001:db8::" + std::to_string(i));
    // Every failure is recent and none is locked: only the bound itself can have dropped any.
    CHECK(throttle.trackedSubjects() <= LoginThrottle::kMaxTracked);
    CHECK(throttle.trackedAddresses() <= LoginThrottle::kMaxTracked);
    CHECK(throttle.trackedSubjects() >= LoginThrottle::kMaxTracked - 1); // the table was really used

    // The newest names are still tracked and still get locked out.
    const auto newest = "name" + std::to_string(flood - 1);
    for (int i = 0; i < 4; ++i)
        fail(throttle, newest, "x");
    CHECK(throttle.lockedFor(newest, "y") == 1s);
    CHECK(throttle.trackedSubjects() <= LoginThrottle::kMaxTracked);
}

TEST_CASE("A locked account stays locked however many other names are tried")
{
    LoginThrottle throttle(ThrottleSettings{5, 1000000000, 900s, 900s, 900s});
    for (int i = 0; i < 5; ++i)
        fail(throttle, "admin", "198.51.100." + std::to_string(i));
    REQUIRE(throttle.lockedFor("admin", "192.0.2.1") == 900s);
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < LoginThrottle::kMaxTracked + 200; ++i)
        fail(throttle, "name" + std::to_string(i), "2001:db8::" + std::to_string(i % 5000));
    // Evicted, it would be 0; the loop's own time (seconds under a sanitizer on a busy
    // machine) is all the lockout may have run down.
    const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start);
    CHECK(throttle.lockedFor("admin", "192.0.2.1") >= 900s - elapsed - 1s);
    CHECK(throttle.trackedSubjects() <= LoginThrottle::kMaxTracked);
}
