#pragma once

#include <parley/portal/accounts/account_settings.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace parley::portal {

/// Counts failed attempts (logins, room PINs) per subject (an account name, a room) and per
/// source address, in memory (a restart forgets them). Unknown account names are counted
/// exactly like real ones, so lockouts do not reveal which names exist.
///
/// An attempt counts as a failure from the moment it is admitted, before the credential is
/// checked, and only a limited number of checks of one subject or one address run at once:
/// a burst of parallel guesses gets no more checks than the same guesses one after another.
///
/// Memory is bounded: past kMaxTracked subjects per kind, counters that no longer matter are
/// dropped, then the oldest unlocked ones; a locked counter is never dropped before its lock
/// ends. When a table holds nothing but locked or busy counters, attempts by subjects it does
/// not know are refused until room frees up.
class LoginThrottle
{
public:
    using Clock = std::chrono::steady_clock;

    static constexpr std::size_t kMaxTracked = 100000;

    /// Checks running at once per subject and per source address; more are refused with a
    /// short wait, never queued.
    static constexpr int kMaxConcurrentPerSubject = 2;
    static constexpr int kMaxConcurrentPerAddress = 8;

    /// `now` is the clock (tests pass their own to step through lockouts).
    explicit LoginThrottle(const ThrottleSettings& settings, std::function<Clock::time_point()> now = Clock::now)
        : settings_(settings), now_(std::move(now))
    {}

    /// An admitted attempt. It counts as a failure unless succeeded() or discount() is
    /// called; its slot among the concurrent checks is given back when it is destroyed.
    class Attempt
    {
    public:
        Attempt(Attempt&& other) noexcept;
        Attempt& operator=(Attempt&&) = delete;
        Attempt(const Attempt&) = delete;
        Attempt& operator=(const Attempt&) = delete;
        ~Attempt();

        /// The credential was right: the attempt no longer counts, and the subject's counter
        /// is cleared (not the address's: one valid account must not reset an attacker's
        /// budget for guessing others).
        void succeeded();
        /// The attempt proved nothing (the directory did not answer, no PIN was given): it no
        /// longer counts, and a lockout it started is taken back.
        void discount();

        /// Whether this attempt started a lockout of the subject (audit it once).
        bool startedLockout() const { return startedSubjectLock_; }
        /// How long the subject is locked now.
        std::chrono::seconds subjectLockedFor() const;

    private:
        friend class LoginThrottle;
        struct Lock
        {
            bool started = false;
            Clock::time_point previous;
        };
        Attempt(LoginThrottle& throttle, std::string subject, std::string address, Lock subjectLock,
                Lock addressLock);

        LoginThrottle* throttle_;
        std::string subject_;
        std::string address_;
        bool startedSubjectLock_ = false;
        Lock subjectLock_;
        Lock addressLock_;
        bool settled_ = false;
    };

    /// Admits an attempt by `subject` from `address`, counting it at once, or refuses it and
    /// sets `retryAfter`: the remaining lock of the subject or the address, or one second
    /// when too many checks for either run at once or the tables are full of locked subjects.
    std::optional<Attempt> admit(const std::string& subject, const std::string& address,
                                 std::chrono::seconds& retryAfter);

    /// Uses `settings` from the next attempt on (an admin changed the lockout thresholds at
    /// run time). Counters already held keep their failures and any lockout already running.
    void setSettings(const ThrottleSettings& settings);
    ThrottleSettings settings();

    /// How long the subject or the address is still locked; zero if an attempt may be made.
    std::chrono::seconds lockedFor(const std::string& subject, const std::string& address);

    /// Counters held for subjects and for addresses (to check the bound).
    std::size_t trackedSubjects();
    std::size_t trackedAddresses();

private:
    struct Counter
    {
        int failures = 0;
        int inFlight = 0;
        Clock::time_point lastFailure;
        Clock::time_point lockedUntil;
    };
    using Table = std::unordered_map<std::string, Counter>;

    std::chrono::seconds remaining(const Table& table, const std::string& key, Clock::time_point now) const;
    Counter* counterFor(Table& table, const std::string& key, Clock::time_point now);
    Attempt::Lock count(Counter& counter, int freeAttempts, Clock::time_point now);
    void takeBack(Table& table, const std::string& key, const Attempt::Lock& lock);
    void release(Table& table, const std::string& key, Clock::time_point now);
    bool makeRoom(Table& table, Clock::time_point now);
    bool matters(const Counter& counter, Clock::time_point now) const;

    ThrottleSettings settings_;
    std::function<Clock::time_point()> now_;
    std::mutex mutex_;
    Table subjects_;
    Table addresses_;
};

} // namespace parley::portal
