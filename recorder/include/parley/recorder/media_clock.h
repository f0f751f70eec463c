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

private:
    std::uint32_t clockRate_;
    RtpTimestampUnwrapper unwrapper_;
    std::optional<std::int64_t> reportRtp_;  ///< unwrapped RTP timestamp of the last report
    std::int64_t reportWall_ = 0;            ///< its wall clock, microseconds
    std::optional<std::int64_t> firstRtp_;   ///< without reports: the first packet
    std::int64_t firstWall_ = 0;
};

/// NTP 64-bit fixed point to microseconds.
std::int64_t ntpToMicroseconds(std::uint64_t ntp);

} // namespace parley::recorder
