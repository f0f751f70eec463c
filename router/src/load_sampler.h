#pragma once

#include "participant_directory.h"
#include "router_counters.h"

#include <parley/router/media_router.h>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace parley::router {

/// Once a second on the worker: each participant's rates and loss, the router's totals and
/// its CPU, published for readers on other threads (load(), the traffic counters) without a
/// lock and without any cost per packet.
class LoadSampler
{
public:
    explicit LoadSampler(RouterCounters& counters) : counters_(counters) {}

    /// Ends an interval of `elapsed`: samples every participant's meters and loss and the
    /// worker thread's CPU (call it on the worker).
    void sample(const ParticipantDirectory& participants, std::chrono::steady_clock::duration elapsed);
    /// Adds what `p`'s meters counted since the last fold to the router's traffic counters.
    void fold(Participant& p);
    RouterLoad load() const;

private:
    RouterCounters& counters_;
    std::uint64_t bytesIn_ = 0, packetsIn_ = 0, bytesOut_ = 0, packetsOut_ = 0;
    std::chrono::nanoseconds lastCpu_{0};
    std::atomic<std::uint64_t> rateIn_{0}, rateOut_{0}, lossPermyriad_{0}, cpuPermyriad_{0};
};

} // namespace parley::router
