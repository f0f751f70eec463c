#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace parley::loadgen {

/// Durations in microseconds, counted into fixed buckets so that recording one allocates
/// nothing: 1 µs wide up to 1 ms, 10 µs up to 10 ms, 1 ms up to 1 s, and one bucket above.
/// Percentiles are read as the upper edge of the bucket they fall in.
class LatencyHistogram
{
public:
    void record(std::int64_t microseconds);
    void merge(const LatencyHistogram& other);
    void clear();

    std::uint64_t count() const { return count_; }
    /// The smallest bucket edge at or below which `fraction` (0 to 1) of the samples lie; 0
    /// without samples. Samples past one second read as 1,000,001.
    std::int64_t percentile(double fraction) const;
    std::int64_t max() const { return max_; }

private:
    static constexpr std::size_t kFine = 1000;   // 0..999 µs, 1 µs each
    static constexpr std::size_t kMedium = 900;  // 1,000..9,999 µs, 10 µs each
    static constexpr std::size_t kCoarse = 990;  // 10 ms..999 ms, 1 ms each
    static constexpr std::size_t kBuckets = kFine + kMedium + kCoarse + 1;
    static std::size_t bucketOf(std::int64_t microseconds);
    static std::int64_t upperEdge(std::size_t bucket);

    std::array<std::uint64_t, kBuckets> buckets_{};
    std::uint64_t count_ = 0;
    std::int64_t max_ = 0;
};

} // namespace parley::loadgen
