#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace parley::router {

/// The bandwidth towards one subscriber, estimated from its transport-wide feedback about
/// what the router sends it (the send side of Google Congestion Control, draft-ietf-rmcat-
/// gcc-02, in a simpler form): every packet to it carries a transport-wide sequence number
/// and is remembered with its size and send time; the feedback says when each arrived.
/// - Delay: a growing one-way queueing delay (the trend of the arrival-minus-send gaps,
///   against an adaptive threshold), with at least kMinQueueMicros queued (one-way delay
///   above its least over the last 10 s: jitter from a busy host or Wi-Fi is not a queue),
///   means the link is over-used: the estimate drops to 85 % of what it delivered lately.
/// - Loss: over 10 % lost cuts it by half the loss; under 2 % it may grow.
/// - Growth: 8 % a second, never beyond 1.5 times what was delivered lately: what was never
///   sent cannot be known to fit, so going higher needs a probe.
/// - Probes: padding sent at a chosen rate for a short while; what arrived of it, and how
///   fast, says whether the link takes that much more.
/// Fixed size, no allocation; one worker thread.
class SendSideEstimator
{
public:
    static constexpr std::size_t kHistory = 8192; ///< packets remembered (about 3 s at 2.5k/s)
    static constexpr std::uint32_t kStartBps = 300'000;
    static constexpr std::uint32_t kMinBps = 50'000;
    static constexpr std::uint32_t kMaxBps = 50'000'000;
    /// Sequence numbers read from one feedback packet at most (hostile feedback).
    static constexpr std::size_t kMaxStatusesPerFeedback = 1024;
    static constexpr std::int64_t kProbeMicros = 150'000;
    static constexpr std::int64_t kMinProbeIntervalMicros = 2'000'000;
    static constexpr std::int64_t kMaxProbeIntervalMicros = 8'000'000;
    static constexpr std::int64_t kMinQueueMicros = 20'000;
    static constexpr std::uint32_t kMinProbeBps = 100'000;

    enum class Usage
    {
        Normal,
        Over,
        Under
    };

    /// The sequence number for the next packet sent.
    std::uint16_t nextSequence() const { return next_; }
    /// That packet went out: `bytes` long at `nowMicros`, part of the running probe or not.
    void onSent(std::size_t bytes, std::int64_t nowMicros, bool probe = false);

    /// A transport-wide feedback packet (the whole RTCP packet) received at `nowMicros`.
    /// False when it is malformed (what came before the fault is used).
    bool onFeedback(std::span<const std::uint8_t> packet, std::int64_t nowMicros);

    std::uint32_t estimate() const { return estimate_; }
    /// What arrived over the last half second or so, in bits per second (0: not known yet).
    std::uint32_t deliveredBps() const { return delivered_; }
    /// Of the packets reported on over the last second, the share lost.
    double lossFraction() const;
    Usage usage() const { return usage_; }
    /// Feedback packets refused as malformed.
    std::uint64_t feedbackMalformed() const { return feedbackMalformed_; }

    /// Starts a probe of `extraBps` of padding on top of the media for kProbeMicros (at most
    /// the estimate, or kMinProbeBps: a link is tested a doubling at a time, so a probe never
    /// floods a narrow one), unless one runs, one ended less than the probe interval ago (which doubles after each failed
    /// probe, up to kMaxProbeIntervalMicros), or the link was over-used in the last seconds.
    /// Returns whether it started.
    bool startProbe(std::uint32_t extraBps, std::int64_t nowMicros);
    bool probing() const { return probeState_ == ProbeState::Sending; }
    /// Padding bytes to send now to keep the probe's pace (0 when not probing).
    std::size_t probeBytesDue(std::int64_t nowMicros);
    /// Probes that raised the estimate, and those that did not.
    std::uint64_t probesSucceeded() const { return probesSucceeded_; }
    std::uint64_t probesFailed() const { return probesFailed_; }

private:
    struct Sent
    {
        std::uint16_t sequence = 0;
        bool valid = false;
        bool probe = false;
        bool reported = false;   ///< its arrival was reported
        bool lostCounted = false; ///< reported lost (once), perhaps to arrive after all
        std::uint16_t bytes = 0;
        std::int64_t sendMicros = 0;
    };
    enum class ProbeState
    {
        Idle,
        Sending,
        Waiting
    };

    void onArrival(const Sent& packet, std::int64_t arrivalMicros, std::int64_t nowMicros);
    void updateDelay(std::int64_t nowMicros);
    void noteQueue(std::int64_t oneWayMicros, std::int64_t arrivalMicros);
    void updateRate(std::int64_t nowMicros);
    void finishProbe(std::int64_t nowMicros);

    std::array<Sent, kHistory> history_{};
    std::uint16_t next_ = 1;
    std::uint32_t estimate_ = kStartBps;
    std::int64_t lastRateUpdate_ = 0;
    std::int64_t lastDecrease_ = 0;
    std::int64_t lastOveruse_ = -1'000'000'000;
    Usage usage_ = Usage::Normal;

    // Delivered rate: the last packets received, by arrival.
    static constexpr std::size_t kDeliveredWindow = 512;
    std::array<std::pair<std::int64_t, std::uint16_t>, kDeliveredWindow> arrivals_{};
    std::size_t arrivalCount_ = 0;
    std::uint32_t delivered_ = 0;

    // Loss over the last second, in 4 buckets of 250 ms.
    std::array<std::uint32_t, 4> reported_{};
    std::array<std::uint32_t, 4> lost_{};
    std::int64_t lossBucketStart_ = 0;

    // Delay trend over send-time groups (5 ms bursts).
    struct Group
    {
        std::int64_t firstSend = 0;
        std::int64_t lastSend = 0;
        std::int64_t lastArrival = 0;
        bool open = false;
    };
    Group group_;
    Group previousGroup_;
    double accumulatedDelayMs_ = 0;
    double smoothedDelayMs_ = 0;
    static constexpr std::size_t kTrendWindow = 20;
    std::array<std::pair<double, double>, kTrendWindow> trend_{};
    std::size_t trendCount_ = 0;
    std::size_t trendSamples_ = 0;
    std::int64_t firstArrival_ = -1;
    double threshold_ = 12.5;
    double previousTrend_ = 0;
    std::int64_t overuseSince_ = -1;
    // The least one-way delay (arrival minus send, on two clocks: only differences count),
    // per second over the last 10 s, and the queueing delay of the latest group over it.
    std::array<std::int64_t, 10> leastDelay_{};
    std::size_t leastDelaySecond_ = 0;
    std::int64_t leastDelaySince_ = -1;
    std::int64_t queueMicros_ = 0;
    std::int64_t lastThresholdUpdate_ = -1;

    // Probing.
    ProbeState probeState_ = ProbeState::Idle;
    std::uint32_t probeBps_ = 0;
    std::int64_t probeStart_ = 0;
    std::int64_t probeEnded_ = -1'000'000'000;
    std::int64_t probeInterval_ = kMinProbeIntervalMicros;
    std::uint64_t probeBytesSent_ = 0;
    std::uint16_t probeFirst_ = 0, probeLast_ = 0;
    std::uint32_t probePackets_ = 0, probeReported_ = 0, probeReceived_ = 0;
    std::uint64_t probeBytesReceived_ = 0;
    std::int64_t probeFirstArrival_ = 0, probeLastArrival_ = 0;
    std::uint16_t probeFirstArrivalBytes_ = 0;
    std::uint64_t probesSucceeded_ = 0, probesFailed_ = 0;

    std::uint64_t feedbackMalformed_ = 0;
};

} // namespace parley::router
