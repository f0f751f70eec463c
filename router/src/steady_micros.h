#pragma once

#include <chrono>
#include <cstdint>

namespace parley::router {

/// Microseconds on the steady clock: the one time base of the worker (arrival times,
/// report delays, stores, timers); kernel arrival stamps are mapped onto it.
inline std::int64_t steadyMicros(std::chrono::steady_clock::time_point at)
{
    return std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
}

inline std::int64_t steadyMicros()
{
    return steadyMicros(std::chrono::steady_clock::now());
}

} // namespace parley::router
