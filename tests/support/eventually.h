#pragma once

#include <chrono>
#include <thread>

namespace parley::test {

/// Whether `condition` holds within `timeout`, asked every `interval` (and once more at the
/// end). For waiting on another process or thread without a fixed sleep.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(50))
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition())
            return true;
        std::this_thread::sleep_for(interval);
    }
    return condition();
}

} // namespace parley::test
