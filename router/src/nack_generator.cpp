#include <parley/router/nack_generator.h>

#include <algorithm>

namespace parley::router {

NackGenerator::NackGenerator()
{
    missing_.reserve(kMaxMissing);
}

NackGenerator::Arrival NackGenerator::onPacket(std::uint16_t sequence, std::int64_t nowMicros)
{
    if (!started_) {
        started_ = true;
        highest_ = sequence;
        return Arrival::InOrder;
    }
    const auto ahead = static_cast<std::int16_t>(static_cast<std::uint16_t>(sequence - highest_));
    if (ahead <= 0) {
        // Late: a retransmission or a reordered packet, which fills its hole.
        const auto found = std::find_if(missing_.begin(), missing_.end(),
                                        [&](const Missing& m) { return m.sequence == sequence; });
        if (found == missing_.end())
            return Arrival::InOrder;
        lastRepair_ = found->firstAt != 0 ? std::max<std::int64_t>(0, nowMicros - found->firstAt) : 0;
        missing_.erase(found);
        ++recovered_;
        return Arrival::Recovered;
    }
    const auto skipped = static_cast<std::size_t>(ahead - 1);
    lastSkipped_ = skipped;
    highest_ = sequence;
    if (skipped == 0)
        return Arrival::InOrder;
    if (skipped > kMaxMissing) {
        givenUp_ += missing_.size() + skipped;
        missing_.clear();
        return Arrival::KeyframeNeeded;
    }
    // Make room by giving up the oldest: the newest holes are the ones still worth filling.
    const auto room = kMaxMissing - missing_.size();
    if (skipped > room) {
        const auto drop = skipped - room;
        missing_.erase(missing_.begin(), missing_.begin() + static_cast<std::ptrdiff_t>(drop));
        givenUp_ += drop;
    }
    for (std::size_t i = skipped; i > 0; --i)
        missing_.push_back({static_cast<std::uint16_t>(sequence - i), 0, 0, 0, 0});
    return Arrival::Gap;
}

std::size_t NackGenerator::collect(std::int64_t nowMicros, std::int64_t retryMicros, std::span<std::uint8_t> fci)
{
    std::size_t written = 0;
    bool haveEntry = false;
    std::uint16_t pid = 0;
    std::uint16_t blp = 0;
    const auto flush = [&] {
        fci[written] = static_cast<std::uint8_t>(pid >> 8);
        fci[written + 1] = static_cast<std::uint8_t>(pid);
        fci[written + 2] = static_cast<std::uint8_t>(blp >> 8);
        fci[written + 3] = static_cast<std::uint8_t>(blp);
        written += 4;
    };
    for (auto& m : missing_) {
        const bool repeat = m.retries == 1;
        if (m.askedAt != 0 && (repeat ? nowMicros - m.askedAt < kRepeatMicros
                                      : nowMicros - m.triedAt < retryMicros + kRetryMarginMicros))
            continue;
        const auto offset = static_cast<std::uint16_t>(m.sequence - pid);
        if (haveEntry && offset >= 1 && offset <= 16) {
            blp = static_cast<std::uint16_t>(blp | 1u << (offset - 1));
        }
        else {
            if (haveEntry)
                flush();
            if (written + 4 > fci.size()) {
                haveEntry = false;
                break;
            }
            haveEntry = true;
            pid = m.sequence;
            blp = 0;
        }
        // 0 means "not asked yet", so a first ask at time 0 is recorded as 1.
        m.askedAt = nowMicros != 0 ? nowMicros : 1;
        if (!repeat)
            m.triedAt = m.askedAt;
        if (m.firstAt == 0)
            m.firstAt = m.askedAt;
        ++m.retries;
        ++asked_;
    }
    if (haveEntry)
        flush();
    const auto before = missing_.size();
    std::erase_if(missing_, [](const Missing& m) { return m.retries >= kMaxRetries; });
    givenUp_ += before - missing_.size();
    return written;
}

void NackGenerator::reset()
{
    missing_.clear();
    started_ = false;
}

} // namespace parley::router
