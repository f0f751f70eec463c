#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace parley::portal {

class MetricHistogram;

class DirectoryConfiguration;

/// Whether the directory in force answers, for the admin overview. A thread of its own runs
/// the connection test (connect, TLS, service bind, search base; no user) every `interval`,
/// so that a dead directory never slows the page that asks. Settings saved since the last
/// test are tested at once, and reported as not known until then.
class DirectoryHealth
{
public:
    struct Status
    {
        bool enabled = false;
        std::optional<bool> reachable; ///< unknown until the first test has run
        std::string message;           ///< the failing step's message, or what answered
        std::int64_t checkedAt = 0;    ///< Unix seconds; 0 before the first test
    };

    DirectoryHealth(DirectoryConfiguration& configuration, std::chrono::seconds interval);
    ~DirectoryHealth();
    DirectoryHealth(const DirectoryHealth&) = delete;
    DirectoryHealth& operator=(const DirectoryHealth&) = delete;

    Status status() const;
    /// Tests again now (after the settings changed), without waiting for the result.
    void recheck();
    /// From the next test on, each test's duration goes into `latency` (label
    /// operation="check", seconds); it must outlive this.
    void observeWith(MetricHistogram& latency) { latency_ = &latency; }

private:
    void run(std::stop_token stop);

    DirectoryConfiguration& configuration_;
    std::chrono::seconds interval_;
    mutable std::mutex mutex_;
    // status() (const) asks for a test when the settings changed.
    mutable std::condition_variable_any wake_;
    mutable bool recheck_ = false;
    Status status_;
    const void* tested_ = nullptr; ///< the Directory (configuration_.current()) status_ is about
    std::atomic<MetricHistogram*> latency_{nullptr};
    std::jthread thread_;
};

} // namespace parley::portal
