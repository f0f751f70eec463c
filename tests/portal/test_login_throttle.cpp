#include <parley/portal/accounts/login_throttle.h>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using parley::portal::LoginThrottle;
using parley::portal::ThrottleSettings;

TEST_CASE("An account is locked after its free attempts, with doubling lockouts up to the maximum")
{
    LoginThrottle throttle(ThrottleSettings{3, 1000, 10s, 35s, 900s});
    CHECK_FALSE(throttle.recordFailure("alice", "a1"));
    CHECK_FALSE(throttle.recordFailure("alice", "a2"));
    CHECK(throttle.lockedFor("alice", "a3") == 0s);
    CHECK(throttle.recordFailure("alice", "a3"));
    CHECK(throttle.lockedFor("alice", "elsewhere") == 10s);
    throttle.recordFailure("alice", "a4");
    CHECK(throttle.lockedFor("alice", "elsewhere") == 20s);
    throttle.recordFailure("alice", "a5");
    CHECK(throttle.lockedFor("alice", "elsewhere") == 35s); // capped, not 40
    CHECK(throttle.lockedFor("bob", "elsewhere") == 0s);
}

TEST_CASE("Success clears the account's counter but not the address's")
{
    LoginThrottle throttle(ThrottleSettings{3, 4, 10s, 60s, 900s});
    throttle.recordFailure("alice", "198.51.100.1");
    throttle.recordFailure("alice", "198.51.100.1");
    throttle.recordSuccess("alice");
    CHECK_FALSE(throttle.recordFailure("alice", "198.51.100.1"));
    CHECK(throttle.lockedFor("alice", "192.0.2.1") == 0s);
    // Fourth failure from the address: the address is locked for every account name.
    throttle.recordFailure("carol", "198.51.100.1");
    CHECK(throttle.lockedFor("dave", "198.51.100.1") == 10s);
    CHECK(throttle.lockedFor("dave", "192.0.2.1") == 0s);
}

TEST_CASE("A flood of distinct account names and addresses does not grow the throttle past its bound")
{
    LoginThrottle throttle(ThrottleSettings{5, 1000000000, 1s, 1s, 900s});
    const auto flood = LoginThrottle::kMaxTracked + 100;
    for (std::size_t i = 0; i < flood; ++i)
        throttle.recordFailure("name" + std::to_string(i), "2001:db8::" + std::to_string(i));
    // Every failure is recent and none is locked: only the bound itself can have dropped any.
    CHECK(throttle.size() <= 2 * LoginThrottle::kMaxTracked);
    CHECK(throttle.size() >= 2 * LoginThrottle::kMaxTracked - 2); // the table was really used

    // The newest names are still tracked and still get locked out.
    const auto newest = "name" + std::to_string(flood - 1);
    for (int i = 0; i < 4; ++i)
        throttle.recordFailure(newest, "x");
    CHECK(throttle.lockedFor(newest, "y") == 1s);
    CHECK(throttle.size() <= 2 * LoginThrottle::kMaxTracked);
}
