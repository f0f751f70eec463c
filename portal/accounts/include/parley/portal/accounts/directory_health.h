#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace parley::portal {

class DirectoryConfiguration;

/// Whether the directory in force answers, for the admin overview. A thread of its own runs
/// the connection test (connect, TLS, service bind, search base; no user) every `interval`,
/// so that a dead directory never slows the page that asks; a change of the settings is
/// tested at the next round.
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

private:
    void run(std::stop_token stop);

    DirectoryConfiguration& configuration_;
    std::chrono::seconds interval_;
    mutable std::mutex mutex_;
    std::condition_variable_any wake_;
    bool recheck_ = false;
    Status status_;
    std::jthread thread_;
};

} // namespace parley::portal
