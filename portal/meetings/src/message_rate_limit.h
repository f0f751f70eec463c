#pragma once

#include <algorithm>
#include <chrono>

namespace parley::portal {

/// Token bucket for one connection's messages: `rate` per second on average, bursts of up
/// to `burst`. Not thread-safe (one connection, one thread).
class MessageRateLimit
{
public:
    using Clock = std::chrono::steady_clock;

    MessageRateLimit(int rate, int burst)
        : rate_(rate), burst_(std::max(burst, 1)), tokens_(burst_), last_(Clock::now())
    {}

    /// Takes one token; false when the connection is over its rate.
    bool allow(Clock::time_point now = Clock::now())
    {
        const std::chrono::duration<double> elapsed = now - last_;
        last_ = now;
        tokens_ = std::min<double>(burst_, tokens_ + elapsed.count() * rate_);
        if (tokens_ < 1.0)
            return false;
        tokens_ -= 1.0;
        return true;
    }

private:
    double rate_;
    int burst_;
    double tokens_;
    Clock::time_point last_;
};

} // namespace parley::portal
