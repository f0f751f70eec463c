#include <parley/recorder/media_clock.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <stdexcept>

namespace parley::recorder {

std::int64_t RtpTimestampUnwrapper::unwrap(std::uint32_t timestamp)
{
    if (!started_) {
        started_ = true;
        last_ = timestamp;
        return last_;
    }
    // The signed 32-bit difference from the last value: forwards or backwards by less than
    // half the range.
    const auto difference = static_cast<std::int32_t>(timestamp - static_cast<std::uint32_t>(last_));
    const std::int64_t value = last_ + difference;
    if (value > last_)
        last_ = value;
    return value;
}

MediaClock::MediaClock(std::uint32_t clockRate)
    : clockRate_(clockRate)
{
    if (clockRate == 0)
        throw std::invalid_argument("an RTP clock rate cannot be 0");
}

namespace {

/// `ticks` of a `clockRate` Hz clock in microseconds, saturated: a hostile sender's
/// timestamps may jump by 2^31 a packet, and the product must not overflow.
std::int64_t rtpMicros(std::int64_t ticks, std::uint32_t clockRate)
{
    constexpr std::int64_t kLimit = std::numeric_limits<std::int64_t>::max() / 4;
    const std::int64_t seconds = ticks / clockRate;
    if (seconds > kLimit / 1000000)
        return kLimit;
    if (seconds < -kLimit / 1000000)
        return -kLimit;
    return seconds * 1000000 + ticks % clockRate * 1000000 / clockRate;
}

} // namespace

std::int64_t ntpToMicroseconds(std::uint64_t ntp)
{
    const auto seconds = static_cast<std::int64_t>(ntp >> 32);
    const auto fraction = static_cast<std::int64_t>(((ntp & 0xffffffffu) * 1000000u) >> 32);
    return seconds * 1000000 + fraction;
}

void MediaClock::onSenderReport(std::uint64_t ntp, std::uint32_t rtpTimestamp)
{
    const std::int64_t rtp = unwrapper_.unwrap(rtpTimestamp);
    const std::int64_t wall = ntpToMicroseconds(ntp);
    if (!reportRtp_) {
        reportRtp_ = rtp;
        reportWall_ = wall;
        return;
    }
    const std::int64_t error = wall - (reportWall_ + rtpMicros(rtp - *reportRtp_, clockRate_));
    if (std::abs(error) > kDiscontinuityMicros) {
        // Confirmed when this report agrees with the suspect one before it.
        if (suspectRtp_ &&
            std::abs(wall - (suspectWall_ + rtpMicros(rtp - *suspectRtp_, clockRate_))) <= kDiscontinuityMicros) {
            reportRtp_ = rtp;
            reportWall_ = wall;
            suspectRtp_.reset();
            ++reanchors_;
            return;
        }
        if (suspectRtp_)
            ++outliers_; // the previous suspect was not confirmed
        suspectRtp_ = rtp;
        suspectWall_ = wall;
        return;
    }
    if (suspectRtp_) {
        suspectRtp_.reset();
        ++outliers_;
    }
    // Moving the anchor's wall time moves every later packet by the same amount.
    reportWall_ += std::clamp(error / kSmoothingDivisor, -kMaxCorrectionMicros, kMaxCorrectionMicros);
}

std::int64_t MediaClock::wallClock(std::uint32_t rtpTimestamp, std::int64_t arrival)
{
    const std::int64_t rtp = unwrapper_.unwrap(rtpTimestamp);
    if (reportRtp_)
        return reportWall_ + rtpMicros(rtp - *reportRtp_, clockRate_);
    if (!firstRtp_) {
        firstRtp_ = rtp;
        firstWall_ = arrival;
    }
    return firstWall_ + rtpMicros(rtp - *firstRtp_, clockRate_);
}

} // namespace parley::recorder
