#include <parley/router/incoming_stream.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace parley::router {
namespace {

constexpr std::uint32_t kSequenceModulus = 0x10000;
// Cumulative loss is a 24-bit signed number in a report block.
constexpr std::int64_t kMaxCumulativeLost = 0x7fffff;
constexpr std::int64_t kMinCumulativeLost = -0x800000;

} // namespace

IncomingStream::IncomingStream(std::uint32_t ssrc, std::uint32_t clockRate) : ssrc_(ssrc), clockRate_(clockRate)
{
    if (clockRate == 0)
        throw std::invalid_argument("an RTP clock rate cannot be 0");
}

void IncomingStream::restart(std::uint16_t sequence)
{
    maxSequence_ = sequence;
    cycles_ = 0;
    baseSequence_ = sequence;
    badSequence_ = kSequenceModulus + 1;
    received_ = 0;
    expectedPrior_ = 0;
    receivedPrior_ = 0;
}

bool IncomingStream::onPacket(std::uint16_t sequence, std::uint32_t timestamp, std::int64_t arrivalMicros)
{
    if (!started_) {
        started_ = true;
        restart(sequence);
    }
    else {
        const auto delta = static_cast<std::uint16_t>(sequence - maxSequence_);
        if (delta < kMaxDropout) {
            // In order, perhaps with a gap: wrapped when the number went down.
            if (sequence < maxSequence_)
                cycles_ += kSequenceModulus;
            maxSequence_ = sequence;
        }
        else if (delta <= kSequenceModulus - kMaxMisorder) {
            // A big jump: the sender restarted, or a stray packet. Two in a row restart.
            if (sequence != badSequence_) {
                badSequence_ = (sequence + 1u) & (kSequenceModulus - 1);
                ++jumps_;
                return false;
            }
            restart(sequence);
            haveTransit_ = false;
            ++restarts_;
        }
        // Otherwise late or duplicated: counted, the highest stays.
    }
    ++received_;
    // Interarrival jitter (A.8): the arrival time on the stream's clock minus its timestamp.
    const std::int64_t arrival = arrivalMicros / 1000 * clockRate_ / 1000 + arrivalMicros % 1000 * clockRate_ / 1000000;
    const std::int64_t transit = arrival - static_cast<std::int64_t>(timestamp);
    if (haveTransit_) {
        // Timestamps wrap at 2^32: the difference is taken as the nearest one.
        const auto difference = static_cast<std::int32_t>(static_cast<std::uint32_t>(transit - lastTransit_));
        const std::int64_t d = std::abs(static_cast<std::int64_t>(difference));
        jitter16_ += d - ((jitter16_ + 8) >> 4);
    }
    lastTransit_ = transit;
    haveTransit_ = true;
    return true;
}

void IncomingStream::onSenderReport(std::uint64_t ntp, std::int64_t arrivalMicros)
{
    lastSenderReport_ = static_cast<std::uint32_t>(ntp >> 16);
    lastSenderReportAt_ = arrivalMicros;
}

ReportBlock IncomingStream::report(std::int64_t nowMicros)
{
    ReportBlock block;
    block.ssrc = ssrc_;
    if (!started_)
        return block;
    const std::uint64_t expected = extendedHighest() - baseSequence_ + 1;
    const std::int64_t lost = static_cast<std::int64_t>(expected) - static_cast<std::int64_t>(received_);
    block.cumulativeLost =
        static_cast<std::uint32_t>(std::clamp(lost, kMinCumulativeLost, kMaxCumulativeLost)) & 0xffffff;
    const std::uint64_t expectedInterval = expected - std::min(expected, expectedPrior_);
    const std::uint64_t receivedInterval = received_ - receivedPrior_;
    expectedPrior_ = expected;
    receivedPrior_ = received_;
    // Duplicates can make more arrive than were expected: that is no loss, not negative loss.
    if (expectedInterval > receivedInterval)
        block.fractionLost = static_cast<std::uint8_t>(((expectedInterval - receivedInterval) << 8) / expectedInterval);
    block.highestSequence = static_cast<std::uint32_t>(extendedHighest());
    block.jitter = jitter();
    if (lastSenderReport_) {
        block.lastSenderReport = lastSenderReport_;
        // In 1/65536 s, saturated (a field of 32 bits holds 18 hours).
        const std::int64_t delay = std::max<std::int64_t>(0, nowMicros - lastSenderReportAt_);
        block.delaySinceSenderReport =
            delay / 1000000 > 0xffff ? 0xffffffffu
                                     : static_cast<std::uint32_t>(delay / 1000000 * 65536 + delay % 1000000 * 65536 / 1000000);
    }
    return block;
}

} // namespace parley::router
