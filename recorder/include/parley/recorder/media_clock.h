#pragma once

#include <cstdint>
#include <optional>

namespace parley::recorder {

/// Extends 32-bit RTP timestamps to 64 bits across wrap-arounds (every 13 hours at 90 kHz,
/// 24 hours at 48 kHz), allowing for reordering of up to half the range.
class RtpTimestampUnwrapper
{
public:
    std::int64_t unwrap(std::uint32_t timestamp);

private:
    bool started_ = false;
    std::int64_t last_ = 0;
};

/// One stream's RTP clock placed on the sender's wall clock through its RTCP sender reports
/// (RFC 3550 6.4.1), so tracks of one participant, and of different participants whose
/// machines keep NTP time, line up. Before the first report the stream's first packet is
/// placed at its arrival time.
///
/// The mapping is anchored by the first report and then smoothed: a busy sender's reports
/// pair RTP and NTP times tens of milliseconds apart from one report to the next, and
/// following each one would move the recorded timeline back and forth by as much (short
/// silences or cuts in the composed sound). Each later report moves the mapping by an eighth
/// of its disagreement, at most kMaxCorrectionMicros, so the timeline moves by a couple of
/// milliseconds at most per report and still follows a sender whose clock drifts. A report
/// that disagrees by more than kDiscontinuityMicros is a real discontinuity (the sender's
/// clock was set, the stream restarted) only when the next report agrees with it: then the
/// mapping is anchored again there; a single outlier is ignored.
class MediaClock
{
public:
    explicit MediaClock(std::uint32_t clockRate);

    /// A sender report: NTP time (64-bit fixed point, seconds since 1900) and the RTP
    /// timestamp that corresponds to it.
    void onSenderReport(std::uint64_t ntp, std::uint32_t rtpTimestamp);

    /// Wall-clock time of `rtpTimestamp` in microseconds since 1900, given the local arrival
    /// time of its packet (same unit) for use until a sender report arrives.
    std::int64_t wallClock(std::uint32_t rtpTimestamp, std::int64_t arrival);

    bool synchronised() const { return reportRtp_.has_value(); }

    /// Reports beyond this from the mapping are outliers or a discontinuity.
    static constexpr std::int64_t kDiscontinuityMicros = 250'000;
    /// The most one report moves the mapping: well under the 10 ms the composer takes as
    /// contiguous sound.
    static constexpr std::int64_t kMaxCorrectionMicros = 2'000;
    /// Each report moves the mapping by its disagreement divided by this.
    static constexpr std::int64_t kSmoothingDivisor = 8;

    /// Reports that re-anchored the mapping after the first (discontinuities), and reports
    /// ignored as outliers.
    std::uint64_t reanchors() const { return reanchors_; }
    std::uint64_t outliers() const { return outliers_; }

private:
    std::uint32_t clockRate_;
    RtpTimestampUnwrapper unwrapper_;
    std::optional<std::int64_t> reportRtp_;  ///< unwrapped RTP timestamp of the last report
    std::int64_t reportWall_ = 0;            ///< its wall clock, microseconds
    /// A report beyond kDiscontinuityMicros waiting for the next to confirm it.
    std::optional<std::int64_t> suspectRtp_;
    std::int64_t suspectWall_ = 0;
    std::uint64_t reanchors_ = 0;
    std::uint64_t outliers_ = 0;
    std::optional<std::int64_t> firstRtp_;   ///< without reports: the first packet
    std::int64_t firstWall_ = 0;
};

/// NTP 64-bit fixed point to microseconds.
std::int64_t ntpToMicroseconds(std::uint64_t ntp);

} // namespace parley::recorder
