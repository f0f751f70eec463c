#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace parley::parleyd {

/// Runs `onHangup` on its own thread each time the process receives SIGHUP, until destroyed.
/// SIGHUP must be blocked in every thread (main() blocks it before any thread exists), so
/// that this thread's sigwait() is its only receiver. `onHangup` must not throw.
class HangupSignal
{
public:
    explicit HangupSignal(std::function<void()> onHangup);
    ~HangupSignal();
    HangupSignal(const HangupSignal&) = delete;
    HangupSignal& operator=(const HangupSignal&) = delete;

private:
    std::function<void()> onHangup_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

} // namespace parley::parleyd
