#include <parley/portal/accounts/login_throttle.h>

#include <algorithm>

namespace parley::portal {
namespace {

constexpr std::chrono::seconds kBusyRetry{1};

} // namespace

LoginThrottle::Attempt::Attempt(LoginThrottle& throttle, std::string subject, std::string address,
                                Lock subjectLock, Lock addressLock)
    : throttle_(&throttle), subject_(std::move(subject)), address_(std::move(address)),
      startedSubjectLock_(subjectLock.started), subjectLock_(subjectLock), addressLock_(addressLock)
{}

LoginThrottle::Attempt::Attempt(Attempt&& other) noexcept
    : throttle_(other.throttle_), subject_(std::move(other.subject_)), address_(std::move(other.address_)),
      startedSubjectLock_(other.startedSubjectLock_), subjectLock_(other.subjectLock_),
      addressLock_(other.addressLock_), settled_(other.settled_)
{
    other.throttle_ = nullptr;
}

LoginThrottle::Attempt::~Attempt()
{
    if (!throttle_)
        return;
    std::lock_guard lock(throttle_->mutex_);
    const auto now = throttle_->now_();
    throttle_->release(throttle_->subjects_, subject_, now);
    throttle_->release(throttle_->addresses_, address_, now);
}

void LoginThrottle::Attempt::discount()
{
    if (!throttle_ || settled_)
        return;
    settled_ = true;
    startedSubjectLock_ = false;
    std::lock_guard lock(throttle_->mutex_);
    throttle_->takeBack(throttle_->subjects_, subject_, subjectLock_);
    throttle_->takeBack(throttle_->addresses_, address_, addressLock_);
}

void LoginThrottle::Attempt::succeeded()
{
    if (!throttle_)
        return;
    discount();
    std::lock_guard lock(throttle_->mutex_);
    const auto found = throttle_->subjects_.find(subject_);
    if (found != throttle_->subjects_.end()) {
        found->second.failures = 0;
        found->second.lockedUntil = {};
    }
}

std::chrono::seconds LoginThrottle::Attempt::subjectLockedFor() const
{
    if (!throttle_)
        return std::chrono::seconds(0);
    std::lock_guard lock(throttle_->mutex_);
    return throttle_->remaining(throttle_->subjects_, subject_, throttle_->now_());
}

std::chrono::seconds LoginThrottle::remaining(const Table& table, const std::string& key,
                                              Clock::time_point now) const
{
    const auto found = table.find(key);
    if (found == table.end() || found->second.lockedUntil <= now)
        return std::chrono::seconds(0);
    // Round up: a client that waits Retry-After seconds must find the lock gone.
    return std::chrono::ceil<std::chrono::seconds>(found->second.lockedUntil - now);
}

std::chrono::seconds LoginThrottle::lockedFor(const std::string& subject, const std::string& address)
{
    std::lock_guard lock(mutex_);
    const auto now = now_();
    return std::max(remaining(subjects_, subject, now), remaining(addresses_, address, now));
}

std::optional<LoginThrottle::Attempt> LoginThrottle::admit(const std::string& subject, const std::string& address,
                                                           std::chrono::seconds& retryAfter)
{
    std::lock_guard lock(mutex_);
    const auto now = now_();
    retryAfter = std::max(remaining(subjects_, subject, now), remaining(addresses_, address, now));
    if (retryAfter.count() > 0)
        return std::nullopt;
    retryAfter = kBusyRetry;
    auto* subjectCounter = counterFor(subjects_, subject, now);
    auto* addressCounter = subjectCounter ? counterFor(addresses_, address, now) : nullptr;
    if (!subjectCounter || !addressCounter) {
        // A new entry in one table and none in the other is harmless: it holds no failure
        // and is the first thing dropped when room is needed.
        return std::nullopt;
    }
    if (subjectCounter->inFlight >= kMaxConcurrentPerSubject || addressCounter->inFlight >= kMaxConcurrentPerAddress)
        return std::nullopt;
    retryAfter = std::chrono::seconds(0);
    const auto subjectLock = count(*subjectCounter, settings_.accountFreeAttempts, now);
    const auto addressLock = count(*addressCounter, settings_.addressFreeAttempts, now);
    ++subjectCounter->inFlight;
    ++addressCounter->inFlight;
    return Attempt(*this, subject, address, subjectLock, addressLock);
}

LoginThrottle::Counter* LoginThrottle::counterFor(Table& table, const std::string& key, Clock::time_point now)
{
    const auto found = table.find(key);
    if (found != table.end())
        return &found->second;
    if (table.size() >= kMaxTracked && !makeRoom(table, now))
        return nullptr;
    return &table[key];
}

LoginThrottle::Attempt::Lock LoginThrottle::count(Counter& counter, int freeAttempts, Clock::time_point now)
{
    if (counter.failures > 0 && now - counter.lastFailure > settings_.failureWindow)
        counter.failures = 0;
    ++counter.failures;
    counter.lastFailure = now;
    Attempt::Lock lock{false, counter.lockedUntil};
    if (counter.failures < freeAttempts)
        return lock;
    const int doublings = std::min(counter.failures - freeAttempts, 30);
    const auto lockout = std::min<std::chrono::seconds>(settings_.baseLockout * (1LL << doublings),
                                                        settings_.maxLockout);
    counter.lockedUntil = now + lockout;
    lock.started = true;
    return lock;
}

void LoginThrottle::takeBack(Table& table, const std::string& key, const Attempt::Lock& lock)
{
    const auto found = table.find(key);
    if (found == table.end())
        return;
    auto& counter = found->second;
    counter.failures = std::max(0, counter.failures - 1);
    if (lock.started)
        counter.lockedUntil = lock.previous;
}

void LoginThrottle::release(Table& table, const std::string& key, Clock::time_point now)
{
    const auto found = table.find(key);
    if (found == table.end())
        return;
    found->second.inFlight = std::max(0, found->second.inFlight - 1);
    if (!matters(found->second, now))
        table.erase(found);
}

bool LoginThrottle::matters(const Counter& counter, Clock::time_point now) const
{
    return counter.inFlight > 0 || counter.lockedUntil > now ||
           (counter.failures > 0 && now - counter.lastFailure <= settings_.failureWindow);
}

bool LoginThrottle::makeRoom(Table& table, Clock::time_point now)
{
    // First forget counters that no longer matter, then, under a flood of distinct names,
    // the oldest that are neither locked nor being checked. Locked ones stay: dropping them
    // would end a lockout early.
    std::erase_if(table, [&](const auto& item) { return !matters(item.second, now); });
    if (table.size() < kMaxTracked)
        return true;
    auto oldest = table.end();
    for (auto it = table.begin(); it != table.end(); ++it) {
        const auto& counter = it->second;
        if (counter.inFlight > 0 || counter.lockedUntil > now)
            continue;
        if (oldest == table.end() || counter.lastFailure < oldest->second.lastFailure)
            oldest = it;
    }
    if (oldest == table.end())
        return false;
    table.erase(oldest);
    return true;
}

std::size_t LoginThrottle::trackedSubjects()
{
    std::lock_guard lock(mutex_);
    return subjects_.size();
}

std::size_t LoginThrottle::trackedAddresses()
{
    std::lock_guard lock(mutex_);
    return addresses_.size();
}

void LoginThrottle::setSettings(const ThrottleSettings& settings)
{
    std::lock_guard lock(mutex_);
    settings_ = settings;
}

ThrottleSettings LoginThrottle::settings()
{
    std::lock_guard lock(mutex_);
    return settings_;
}

} // namespace parley::portal
