#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace parley::portal {

struct SignalingContext;

/// Ends the reconnection grace of participants whose connection was lost
/// (`signaling.reconnect_grace_seconds`): a thread that, twice a second, removes those whose
/// grace is over from their rooms (the others get participant.left, reason
/// `connection_lost`), releases their media, stops the recording of a room left empty and
/// audits the leave.
class ReconnectExpiry
{
public:
    explicit ReconnectExpiry(SignalingContext& context);
    ~ReconnectExpiry();
    ReconnectExpiry(const ReconnectExpiry&) = delete;
    ReconnectExpiry& operator=(const ReconnectExpiry&) = delete;

    /// One pass, at `now` (the thread calls it; tests may too). Returns how many were removed.
    std::size_t expire(std::chrono::steady_clock::time_point now);

    /// Stops the thread (idempotent).
    void stop();

private:
    SignalingContext& context_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace parley::portal
