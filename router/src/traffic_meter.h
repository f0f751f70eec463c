#pragma once

#include <chrono>
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <utility>

namespace parley::router {

/// Bytes one way for one participant, and the rate over the last sampling interval. Updated
/// on the worker only: a plain add per packet, no atomic and no lock.
struct TrafficMeter
{
    std::uint64_t bytes = 0;
    std::uint64_t packets = 0;
    std::uint64_t bitsPerSecond = 0; ///< over the last interval sampled

    void add(std::size_t length)
    {
        bytes += length;
        ++packets;
    }

    /// Ends an interval of `elapsed`; bitsPerSecond covers it.
    void sample(std::chrono::steady_clock::duration elapsed)
    {
        const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
        if (micros > 0)
            bitsPerSecond = (bytes - sampledBytes_) * 8 * 1000000 / static_cast<std::uint64_t>(micros);
        sampledBytes_ = bytes;
    }

    /// Adds what was metered since the previous fold to the running totals (for the
    /// router-wide counters, once a second and when the participant goes: no per-packet cost).
    void fold(std::uint64_t& totalBytes, std::uint64_t& totalPackets)
    {
        totalBytes += bytes - foldedBytes_;
        totalPackets += packets - foldedPackets_;
        foldedBytes_ = bytes;
        foldedPackets_ = packets;
    }

private:
    std::uint64_t sampledBytes_ = 0;
    std::uint64_t foldedBytes_ = 0;
    std::uint64_t foldedPackets_ = 0;
};

/// Packets lost on the way to the router in one incoming stream (RFC 3550 A.3: expected from
/// the extended highest sequence number, against those received), per sampling interval.
struct LossMeter
{
    std::uint64_t received = 0;

    /// `extendedHighest` is cycles + highest sequence number seen; `first` the first one.
    /// Returns {expected, received} in the interval that ends now.
    std::pair<std::uint64_t, std::uint64_t> sample(std::uint64_t first, std::uint64_t extendedHighest)
    {
        const std::uint64_t expected = extendedHighest >= first ? extendedHighest - first + 1 : 0;
        // Duplicates can make received exceed expected; they are not negative loss.
        const std::uint64_t expectedDelta = expected - std::min(expected, sampledExpected_);
        const std::uint64_t receivedDelta = received - sampledReceived_;
        sampledExpected_ = expected;
        sampledReceived_ = received;
        return {expectedDelta, std::min(receivedDelta, expectedDelta)};
    }

private:
    std::uint64_t sampledExpected_ = 0;
    std::uint64_t sampledReceived_ = 0;
};

} // namespace parley::router
