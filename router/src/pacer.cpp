#include "pacer.h"

#include <algorithm>

namespace parley::router {

void Pacer::refill(std::int64_t nowMicros)
{
    if (last_ == 0 || nowMicros <= last_) {
        // (Arrival stamps and batch times may be a little out of order: time only moves on.)
        last_ = std::max(last_, nowMicros);
        return;
    }
    const auto elapsed = static_cast<double>(nowMicros - last_);
    last_ = nowMicros;
    // What waits must be gone by the time the oldest has waited kMaxWaitMicros, whatever
    // the estimate says (as libwebrtc's queue time limit).
    const auto timeLeft = count_ == 0 ? kMaxWaitMicros
                                      : std::max(kMaxWaitMicros - (nowMicros - ring_[head_].queuedAt), kMinTimeLeftMicros);
    const auto drainBitsPerSecond = static_cast<double>(queuedBytes_) * 8e6 / static_cast<double>(timeLeft);
    const auto bytesPerMicro = std::max(static_cast<double>(rate_), drainBitsPerSecond) / 8e6;
    const auto cap = std::max(bytesPerMicro * static_cast<double>(kBurstMicros), kMinBurstBytes);
    budget_ = std::min(budget_ + bytesPerMicro * elapsed, cap);
}

bool Pacer::mustWait(std::int64_t nowMicros)
{
    if (rate_ == 0)
        return count_ != 0;
    refill(nowMicros);
    return count_ != 0 || budget_ <= 0;
}

void Pacer::onSent(std::size_t bytes, std::int64_t nowMicros)
{
    if (rate_ == 0)
        return;
    refill(nowMicros);
    budget_ -= static_cast<double>(bytes);
}

void Pacer::push(const Entry& entry)
{
    if (full())
        return;
    auto& slot = ring_[(head_ + count_) % kCapacity];
    slot = entry;
    slot.header.vp8 = nullptr;
    ++count_;
    queuedBytes_ += entry.bytes;
}

const Pacer::Entry* Pacer::due(std::int64_t nowMicros)
{
    if (count_ == 0)
        return nullptr;
    refill(nowMicros);
    const auto& oldest = ring_[head_];
    return budget_ > 0 || rate_ == 0 || nowMicros - oldest.queuedAt >= kMaxWaitMicros ? &oldest : nullptr;
}

void Pacer::pop()
{
    if (count_ == 0)
        return;
    queuedBytes_ -= ring_[head_].bytes;
    head_ = (head_ + 1) % kCapacity;
    --count_;
}

bool Pacer::holds(std::uint32_t copySsrc, std::uint16_t copySequence) const
{
    for (std::size_t i = 0; i < count_; ++i) {
        const auto& entry = ring_[(head_ + i) % kCapacity];
        if (entry.header.ssrc == copySsrc && entry.header.sequence == copySequence)
            return true;
    }
    return false;
}

void Pacer::forget(const Publication* publication, std::uint32_t copySsrc)
{
    std::size_t kept = 0;
    for (std::size_t i = 0; i < count_; ++i) {
        const auto& entry = ring_[(head_ + i) % kCapacity];
        if (entry.publication == publication && (copySsrc == 0 || entry.header.ssrc == copySsrc)) {
            queuedBytes_ -= entry.bytes;
            continue;
        }
        ring_[(head_ + kept) % kCapacity] = entry;
        ++kept;
    }
    count_ = kept;
}

} // namespace parley::router
