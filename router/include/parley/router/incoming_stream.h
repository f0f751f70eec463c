#pragma once

#include <parley/router/rtcp_packet.h>

#include <cstdint>

namespace parley::router {

/// What the router knows of one RTP stream it receives (a publication): the sequence
/// numbers extended across wrap-arounds, how many packets came and were expected, the
/// interarrival jitter, and the publisher's last sender report, so its receiver reports
/// tell the publisher the truth (RFC 3550 6.4.1, A.1, A.3, A.8). Fixed size, no allocation;
/// not thread-safe (one worker).
class IncomingStream
{
public:
    /// A jump forward by more than this is a restart of the sequence, not loss (A.1).
    static constexpr std::uint16_t kMaxDropout = 3000;
    /// A packet up to this far behind the highest is late (reordered, or a resend), further
    /// a restart. RFC 3550 suggests 100; resends the router asks for come from as far back
    /// as its packet store keeps (512).
    static constexpr std::uint16_t kMaxMisorder = 1000;

    IncomingStream(std::uint32_t ssrc, std::uint32_t clockRate);

    /// A packet of this stream arrived at `arrivalMicros` (any steady epoch). Returns false
    /// when its sequence number is far from the others (a jump the sender must confirm with
    /// the next packet, which then restarts the count); such a packet is not counted.
    bool onPacket(std::uint16_t sequence, std::uint32_t timestamp, std::int64_t arrivalMicros);

    /// The sender's report (its 64-bit NTP time) arrived at `arrivalMicros`.
    void onSenderReport(std::uint64_t ntp, std::int64_t arrivalMicros);

    /// The report block for this stream at `nowMicros`: the fraction lost since the previous
    /// call, the cumulative number lost (24-bit signed, saturated), the extended highest
    /// sequence number, the jitter (in timestamp units), and LSR/DLSR (0 before a sender
    /// report). Starts the next interval.
    ReportBlock report(std::int64_t nowMicros);

    std::uint32_t ssrc() const { return ssrc_; }
    bool started() const { return started_; }
    /// Packets counted (duplicates included, as RFC 3550 counts them).
    std::uint64_t received() const { return received_; }
    /// Cycles * 65536 + the highest sequence number.
    std::uint64_t extendedHighest() const { return cycles_ + maxSequence_; }
    std::uint64_t baseSequence() const { return baseSequence_; }
    /// Jitter in timestamp units.
    std::uint32_t jitter() const { return static_cast<std::uint32_t>(jitter16_ >> 4); }
    /// Packets refused by onPacket (jumps not confirmed).
    std::uint64_t jumps() const { return jumps_; }
    /// Restarts of the sequence the sender confirmed (after the first packet).
    std::uint64_t restarts() const { return restarts_; }

private:
    void restart(std::uint16_t sequence);

    std::uint32_t ssrc_;
    std::uint32_t clockRate_;
    bool started_ = false;
    std::uint16_t maxSequence_ = 0;
    std::uint64_t cycles_ = 0;
    std::uint64_t baseSequence_ = 0;
    std::uint32_t badSequence_ = 0x10001; ///< the sequence number that would confirm a jump
    std::uint64_t received_ = 0;
    std::uint64_t expectedPrior_ = 0;
    std::uint64_t receivedPrior_ = 0;
    // Jitter (A.8), times 16 so the 1/16 gain keeps its fraction.
    std::int64_t jitter16_ = 0;
    std::int64_t lastTransit_ = 0;
    bool haveTransit_ = false;
    std::uint32_t lastSenderReport_ = 0; ///< middle 32 bits of its NTP time
    std::int64_t lastSenderReportAt_ = 0;
    std::uint64_t jumps_ = 0;
    std::uint64_t restarts_ = 0;
};

} // namespace parley::router
