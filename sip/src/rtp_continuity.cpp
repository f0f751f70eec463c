#include <parley/sip/rtp_continuity.h>

#include <algorithm>

namespace parley::sip {

RtpContinuity::RtpContinuity(std::uint32_t clockRate, std::uint16_t firstSequence, std::uint32_t firstTimestamp)
    : clockRate_(clockRate), lastSequence_(static_cast<std::uint16_t>(firstSequence - 1)),
      lastTimestamp_(firstTimestamp)
{
}

RtpContinuity::Mapped RtpContinuity::map(std::uint32_t source, std::uint16_t sequence, std::uint32_t timestamp,
                                         std::int64_t nowMicros)
{
    if (source_ != source) {
        // At least one tick on, so that the first frame of the new source is a new frame.
        const auto elapsed = lastMicros_ == 0 ? 0 : std::max<std::int64_t>(nowMicros - lastMicros_, 0);
        const auto ticks = std::max<std::int64_t>(elapsed * clockRate_ / 1'000'000, 1);
        sequenceOffset_ = static_cast<std::uint16_t>(lastSequence_ + 1 - sequence);
        timestampOffset_ = static_cast<std::uint32_t>(lastTimestamp_ + static_cast<std::uint32_t>(ticks) - timestamp);
        source_ = source;
    }
    const Mapped mapped{static_cast<std::uint16_t>(sequence + sequenceOffset_), timestamp + timestampOffset_};
    // Only a newer packet moves the mark (a reordered older one keeps its own place).
    if (static_cast<std::int16_t>(mapped.sequence - lastSequence_) > 0 || lastMicros_ == 0) {
        lastSequence_ = mapped.sequence;
        lastTimestamp_ = mapped.timestamp;
        lastMicros_ = nowMicros;
    }
    return mapped;
}

} // namespace parley::sip
