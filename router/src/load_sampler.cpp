#include "load_sampler.h"

#include <algorithm>
#include <time.h>

namespace parley::router {

void LoadSampler::sample(const ParticipantDirectory& participants, std::chrono::steady_clock::duration elapsed)
{
    std::uint64_t in = 0;
    std::uint64_t out = 0;
    std::uint64_t expected = 0;
    std::uint64_t received = 0;
    for (const auto& [id, participant] : participants) {
        auto& p = *participant;
        p.in.sample(elapsed);
        p.out.sample(elapsed);
        fold(p);
        in += p.in.bitsPerSecond;
        out += p.out.bitsPerSecond;
        std::uint64_t ownExpected = 0;
        std::uint64_t ownReceived = 0;
        const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
        for (auto& publication : p.publications)
            for (auto& layer : publication->layers) {
                // Each layer's rate, for choosing layers (payload bits over the interval).
                if (micros > 0)
                    layer.sampleRate(static_cast<std::uint32_t>(std::min<std::uint64_t>(
                        (layer.octets - layer.sampledOctets) * 8 * 1'000'000 / static_cast<std::uint64_t>(micros),
                        0xffffffff)));
                layer.sampledOctets = layer.octets;
                if (!layer.incoming || !layer.incoming->started())
                    continue;
                const auto [e, r] = layer.loss.sample(layer.incoming->baseSequence(), layer.incoming->extendedHighest());
                ownExpected += e;
                ownReceived += r;
            }
        p.lossPercentIn = ownExpected ? 100.0 * double(ownExpected - ownReceived) / double(ownExpected) : 0.0;
        expected += ownExpected;
        received += ownReceived;
    }
    rateIn_.store(in, std::memory_order_relaxed);
    rateOut_.store(out, std::memory_order_relaxed);
    lossPermyriad_.store(expected ? (expected - received) * 10000 / expected : 0, std::memory_order_relaxed);
    // This runs on the worker, so the thread's own CPU clock is the router's packet work.
    timespec cpu{};
    if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0) {
        const auto used = std::chrono::seconds(cpu.tv_sec) + std::chrono::nanoseconds(cpu.tv_nsec);
        const auto wall = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
        if (wall > 0 && lastCpu_.count() > 0)
            cpuPermyriad_.store(static_cast<std::uint64_t>((used - lastCpu_).count() * 10000 / wall),
                                std::memory_order_relaxed);
        lastCpu_ = used;
    }
}

void LoadSampler::fold(Participant& p)
{
    p.in.fold(bytesIn_, packetsIn_);
    p.out.fold(bytesOut_, packetsOut_);
    counters_.bytesReceived.set(bytesIn_);
    counters_.bytesSent.set(bytesOut_);
    counters_.packetsSent.set(packetsOut_);
}

RouterLoad LoadSampler::load() const
{
    RouterLoad l;
    l.bitsPerSecondIn = rateIn_.load(std::memory_order_relaxed);
    l.bitsPerSecondOut = rateOut_.load(std::memory_order_relaxed);
    l.lossPercent = lossPermyriad_.load(std::memory_order_relaxed) / 100.0;
    l.cpuPercent = cpuPermyriad_.load(std::memory_order_relaxed) / 100.0;
    return l;
}

} // namespace parley::router
