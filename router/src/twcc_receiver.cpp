#include <parley/router/twcc_receiver.h>

namespace parley::router {
namespace {

std::int16_t ahead(std::uint16_t a, std::uint16_t b)
{
    return static_cast<std::int16_t>(static_cast<std::uint16_t>(a - b));
}

} // namespace

void TwccReceiver::onPacket(std::uint16_t sequence, std::int64_t arrivalMicros)
{
    if (!started_) {
        started_ = true;
        next_ = sequence;
        highest_ = sequence;
    }
    if (ahead(sequence, next_) < 0) {
        ++late_;
        return;
    }
    if (ahead(sequence, highest_) > 0)
        highest_ = sequence;
    // Too far ahead of what is not reported yet: the oldest are given up (reported lost in
    // no feedback at all), so the window keeps the newest.
    if (static_cast<std::uint16_t>(highest_ - next_) >= kWindow)
        next_ = static_cast<std::uint16_t>(highest_ - kWindow + 1);
    auto& s = slot(sequence);
    s.sequence = sequence;
    s.received = true;
    s.arrival = arrivalMicros;
    pending_ = true;
}

std::span<const std::uint8_t> TwccReceiver::nextFeedback(std::uint32_t senderSsrc, std::uint32_t mediaSsrc)
{
    if (!pending_ || ahead(highest_, next_) < 0)
        return {};
    // The reference time comes from the first packet that arrived.
    const Slot* first = nullptr;
    for (std::uint16_t s = next_; ahead(s, highest_) <= 0; ++s) {
        const auto& candidate = slot(s);
        if (candidate.received && candidate.sequence == s) {
            first = &candidate;
            break;
        }
    }
    if (!first) {
        pending_ = false;
        return {};
    }
    builder_.begin(senderSsrc, mediaSsrc, next_, first->arrival, count_);
    std::uint16_t s = next_;
    for (; ahead(s, highest_) <= 0; ++s) {
        auto& entry = slot(s);
        const bool received = entry.received && entry.sequence == s;
        if (!builder_.add(received, entry.arrival) && builder_.packets() > 0)
            break; // starts the next packet
        entry.received = false;
    }
    next_ = s;
    pending_ = ahead(next_, highest_) <= 0;
    ++count_;
    ++sent_;
    return builder_.finish();
}

} // namespace parley::router
