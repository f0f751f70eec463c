#pragma once

#include <parley/portal/accounts/account_settings.h>

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace parley::portal {

/// Counts failed logins per account name and per source address, in memory (a restart
/// forgets them). Unknown account names are counted exactly like real ones, so lockouts do
/// not reveal which names exist. Memory is bounded: past kMaxTracked subjects per kind, the
/// oldest entries are dropped.
class LoginThrottle
{
public:
    using Clock = std::chrono::steady_clock;

    explicit LoginThrottle(const ThrottleSettings& settings) : settings_(settings) {}

    /// How long the account or the address is still locked; zero if login may be tried.
    std::chrono::seconds lockedFor(const std::string& account, const std::string& address);

    /// Records a failure. Returns true if it started a lockout of the account.
    bool recordFailure(const std::string& account, const std::string& address);

    /// A successful login clears the account's counter (not the address's: one valid
    /// account must not reset an attacker's budget for guessing others).
    void recordSuccess(const std::string& account);

    /// How many counters are held, account names and addresses together (at most
    /// 2 * kMaxTracked): what the bound on memory is about.
    std::size_t size() const;

    static constexpr std::size_t kMaxTracked = 100000;

private:
    struct Counter
    {
        int failures = 0;
        Clock::time_point lastFailure;
        Clock::time_point lockedUntil;
    };
    using Table = std::unordered_map<std::string, Counter>;

    std::chrono::seconds remaining(Table& table, const std::string& key, Clock::time_point now);
    bool fail(Table& table, const std::string& key, int freeAttempts, Clock::time_point now);
    void bound(Table& table, Clock::time_point now);

    ThrottleSettings settings_;
    mutable std::mutex mutex_;
    Table accounts_;
    Table addresses_;
};

} // namespace parley::portal
