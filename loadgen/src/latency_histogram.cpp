#include <parley/loadgen/latency_histogram.h>

#include <algorithm>
#include <cmath>

namespace parley::loadgen {

std::size_t LatencyHistogram::bucketOf(std::int64_t us)
{
    if (us < 0)
        us = 0;
    if (us < 1000)
        return static_cast<std::size_t>(us);
    if (us < 10'000)
        return kFine + static_cast<std::size_t>((us - 1000) / 10);
    if (us < 1'000'000)
        return kFine + kMedium + static_cast<std::size_t>((us - 10'000) / 1000);
    return kBuckets - 1;
}

std::int64_t LatencyHistogram::upperEdge(std::size_t bucket)
{
    if (bucket < kFine)
        return static_cast<std::int64_t>(bucket);
    if (bucket < kFine + kMedium)
        return 1000 + static_cast<std::int64_t>(bucket - kFine) * 10 + 9;
    if (bucket < kBuckets - 1)
        return 10'000 + static_cast<std::int64_t>(bucket - kFine - kMedium) * 1000 + 999;
    return 1'000'001;
}

void LatencyHistogram::record(std::int64_t us)
{
    ++buckets_[bucketOf(us)];
    ++count_;
    max_ = std::max(max_, us);
}

void LatencyHistogram::merge(const LatencyHistogram& other)
{
    for (std::size_t i = 0; i < kBuckets; ++i)
        buckets_[i] += other.buckets_[i];
    count_ += other.count_;
    max_ = std::max(max_, other.max_);
}

void LatencyHistogram::clear()
{
    buckets_.fill(0);
    count_ = 0;
    max_ = 0;
}

std::int64_t LatencyHistogram::percentile(double fraction) const
{
    if (count_ == 0)
        return 0;
    const auto rank = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::ceil(std::clamp(fraction, 0.0, 1.0) * static_cast<double>(count_))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
        seen += buckets_[i];
        if (seen >= rank)
            return upperEdge(i);
    }
    return upperEdge(kBuckets - 1);
}

} // namespace parley::loadgen
