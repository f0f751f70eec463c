#include <parley/portal/accounts/login_throttle.h>

#include <algorithm>

namespace parley::portal {

std::chrono::seconds LoginThrottle::remaining(Table& table, const std::string& key,
                                              Clock::time_point now)
{
    const auto found = table.find(key);
    if (found == table.end() || found->second.lockedUntil <= now)
        return std::chrono::seconds(0);
    // Round up: a client that waits Retry-After seconds must find the lock gone.
    return std::chrono::ceil<std::chrono::seconds>(found->second.lockedUntil - now);
}

std::chrono::seconds LoginThrottle::lockedFor(const std::string& account, const std::string& address)
{
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    return std::max(remaining(accounts_, account, now), remaining(addresses_, address, now));
}

bool LoginThrottle::fail(Table& table, const std::string& key, int freeAttempts,
                         Clock::time_point now)
{
    bound(table, now);
    auto& counter = table[key];
    if (counter.failures > 0 && now - counter.lastFailure > settings_.failureWindow)
        counter.failures = 0;
    ++counter.failures;
    counter.lastFailure = now;
    if (counter.failures < freeAttempts)
        return false;
    const int doublings = std::min(counter.failures - freeAttempts, 30);
    const auto lockout = std::min<std::chrono::seconds>(settings_.baseLockout * (1LL << doublings),
                                                        settings_.maxLockout);
    counter.lockedUntil = now + lockout;
    return true;
}

bool LoginThrottle::recordFailure(const std::string& account, const std::string& address)
{
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    fail(addresses_, address, settings_.addressFreeAttempts, now);
    return fail(accounts_, account, settings_.accountFreeAttempts, now);
}

void LoginThrottle::recordSuccess(const std::string& account)
{
    std::lock_guard lock(mutex_);
    accounts_.erase(account);
}

std::size_t LoginThrottle::size() const
{
    std::lock_guard lock(mutex_);
    return accounts_.size() + addresses_.size();
}

void LoginThrottle::bound(Table& table, Clock::time_point now)
{
    if (table.size() < kMaxTracked)
        return;
    // First forget counters that no longer matter, then, under a flood of distinct names,
    // the oldest ones.
    std::erase_if(table, [&](const auto& item) {
        return item.second.lockedUntil <= now && now - item.second.lastFailure > settings_.failureWindow;
    });
    while (table.size() >= kMaxTracked) {
        const auto oldest = std::min_element(table.begin(), table.end(), [](const auto& a, const auto& b) {
            return a.second.lastFailure < b.second.lastFailure;
        });
        table.erase(oldest);
    }
}

} // namespace parley::portal
