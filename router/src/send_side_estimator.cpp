#include <parley/router/send_side_estimator.h>

#include <parley/router/twcc_feedback.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace parley::router {
namespace {

constexpr std::int64_t kGroupMicros = 5'000;          // packets sent this close form one group
constexpr double kSmoothing = 0.9;                     // of the accumulated delay
constexpr double kThresholdGain = 4.0;
constexpr double kMinThresholdMs = 6.0;
constexpr double kMaxThresholdMs = 600.0;
constexpr double kThresholdUp = 0.0087;
constexpr double kThresholdDown = 0.039;
constexpr std::int64_t kOveruseMicros = 10'000;        // over the threshold this long is over-use
constexpr double kDecreaseFactor = 0.85;
constexpr double kGrowthPerSecond = 1.08;
constexpr double kDeliveredHeadroom = 1.5;
constexpr std::uint32_t kDeliveredSlackBps = 10'000;
constexpr std::int64_t kDeliveredWindowMicros = 500'000;
constexpr std::int64_t kLossBucketMicros = 250'000;
constexpr double kHighLoss = 0.10;
constexpr std::int64_t kDecreaseIntervalMicros = 300'000;
constexpr std::int64_t kQuietAfterOveruseMicros = 3'000'000;
constexpr std::int64_t kProbeResultWaitMicros = 1'000'000;
constexpr double kProbeSuccessShare = 0.8; // of the padding's rate, received

std::int16_t distance(std::uint16_t from, std::uint16_t to)
{
    return static_cast<std::int16_t>(static_cast<std::uint16_t>(to - from));
}

} // namespace

void SendSideEstimator::onSent(std::size_t bytes, std::int64_t nowMicros, bool probe)
{
    auto& sent = history_[next_ % kHistory];
    sent = {next_, true, probe && probeState_ != ProbeState::Idle, false, false,
            static_cast<std::uint16_t>(std::min<std::size_t>(bytes, 0xffff)), nowMicros};
    if (sent.probe) {
        if (probePackets_ == 0)
            probeFirst_ = next_;
        probeLast_ = next_;
        ++probePackets_;
        probeBytesSent_ += bytes;
    }
    ++next_;
}

bool SendSideEstimator::onFeedback(std::span<const std::uint8_t> packet, std::int64_t nowMicros)
{
    // Losses go into the bucket of this quarter second.
    if (nowMicros - lossBucketStart_ >= kLossBucketMicros) {
        const auto steps = std::min<std::int64_t>((nowMicros - lossBucketStart_) / kLossBucketMicros, 4);
        for (std::int64_t i = 0; i < steps; ++i) {
            std::rotate(reported_.rbegin(), reported_.rbegin() + 1, reported_.rend());
            std::rotate(lost_.rbegin(), lost_.rbegin() + 1, lost_.rend());
            reported_[0] = 0;
            lost_[0] = 0;
        }
        lossBucketStart_ = nowMicros;
    }
    const bool valid = forEachTwccStatus(packet, kMaxStatusesPerFeedback, [&](const TwccPacketStatus& status) {
        auto& sent = history_[status.sequence % kHistory];
        // Only what we sent and have not heard about yet (a lying or repeated report is
        // not counted twice; a sequence number from the future matches nothing).
        if (!sent.valid || sent.sequence != status.sequence || sent.reported || distance(status.sequence, next_) <= 0)
            return;
        if (!status.received) {
            // Counted once however often it is reported; it may still arrive (reordering).
            if (!sent.lostCounted) {
                sent.lostCounted = true;
                ++reported_[0];
                ++lost_[0];
                if (sent.probe)
                    ++probeReported_;
            }
            return;
        }
        sent.reported = true;
        if (sent.lostCounted) {
            // Late, not lost: the loss it was counted as goes (from this second's tally).
            for (auto& lost : lost_)
                if (lost > 0) {
                    --lost;
                    break;
                }
        }
        else {
            ++reported_[0];
            if (sent.probe)
                ++probeReported_;
        }
        onArrival(sent, status.arrivalMicros, nowMicros);
    });
    if (!valid) {
        ++feedbackMalformed_;
        return false;
    }
    updateRate(nowMicros);
    if (probeState_ == ProbeState::Waiting &&
        (probeReported_ >= probePackets_ || nowMicros - probeEnded_ > kProbeResultWaitMicros))
        finishProbe(nowMicros);
    return true;
}

void SendSideEstimator::onArrival(const Sent& packet, std::int64_t arrivalMicros, std::int64_t nowMicros)
{
    // Padding is not media: the delivered rate is what the media needed.
    if (!packet.probe)
        arrivals_[arrivalCount_++ % kDeliveredWindow] = {arrivalMicros, packet.bytes};
    if (packet.probe && probeState_ != ProbeState::Idle) {
        if (probeReceived_++ == 0 || arrivalMicros < probeFirstArrival_) {
            probeFirstArrival_ = arrivalMicros;
            probeFirstArrivalBytes_ = packet.bytes;
        }
        probeLastArrival_ = std::max(probeLastArrival_, arrivalMicros);
        probeBytesReceived_ += packet.bytes;
    }
    // Send-time groups (a burst the pacer or a frame sent together) are compared, not
    // single packets: within a burst the gaps say nothing about queueing.
    if (!group_.open) {
        group_ = {packet.sendMicros, packet.sendMicros, arrivalMicros, true};
        return;
    }
    if (packet.sendMicros - group_.firstSend < kGroupMicros && packet.sendMicros >= group_.firstSend) {
        group_.lastSend = std::max(group_.lastSend, packet.sendMicros);
        group_.lastArrival = std::max(group_.lastArrival, arrivalMicros);
        return;
    }
    if (packet.sendMicros < group_.firstSend)
        return; // reordered across groups: too old to say anything
    noteQueue(group_.lastArrival - group_.lastSend, group_.lastArrival);
    if (previousGroup_.open) {
        const double sendDelta = double(group_.lastSend - previousGroup_.lastSend) / 1000.0;
        const double arrivalDelta = double(group_.lastArrival - previousGroup_.lastArrival) / 1000.0;
        accumulatedDelayMs_ += arrivalDelta - sendDelta;
        smoothedDelayMs_ = kSmoothing * smoothedDelayMs_ + (1 - kSmoothing) * accumulatedDelayMs_;
        if (firstArrival_ < 0)
            firstArrival_ = group_.lastArrival;
        trend_[trendCount_++ % kTrendWindow] = {double(group_.lastArrival - firstArrival_) / 1000.0, smoothedDelayMs_};
        trendSamples_ = std::min(trendSamples_ + 1, std::size_t(60));
        updateDelay(nowMicros);
    }
    previousGroup_ = group_;
    group_ = {packet.sendMicros, packet.sendMicros, arrivalMicros, true};
}

void SendSideEstimator::noteQueue(std::int64_t oneWayMicros, std::int64_t arrivalMicros)
{
    constexpr std::int64_t kSecond = 1'000'000;
    constexpr auto kUnset = std::numeric_limits<std::int64_t>::max();
    if (leastDelaySince_ < 0) {
        leastDelay_.fill(kUnset);
        leastDelaySince_ = arrivalMicros;
    }
    while (arrivalMicros - leastDelaySince_ >= kSecond) {
        leastDelaySecond_ = (leastDelaySecond_ + 1) % leastDelay_.size();
        leastDelay_[leastDelaySecond_] = kUnset;
        leastDelaySince_ += kSecond;
        if (arrivalMicros - leastDelaySince_ >= 10 * kSecond)
            leastDelaySince_ = arrivalMicros; // a long silence: start over
    }
    leastDelay_[leastDelaySecond_] = std::min(leastDelay_[leastDelaySecond_], oneWayMicros);
    const auto least = *std::min_element(leastDelay_.begin(), leastDelay_.end());
    queueMicros_ = oneWayMicros - least;
}

void SendSideEstimator::updateDelay(std::int64_t nowMicros)
{
    const std::size_t n = std::min(trendCount_, kTrendWindow);
    if (n < kTrendWindow)
        return;
    // Least-squares slope of the smoothed accumulated delay over arrival time.
    double meanX = 0, meanY = 0;
    for (std::size_t i = 0; i < n; ++i) {
        meanX += trend_[i].first;
        meanY += trend_[i].second;
    }
    meanX /= double(n);
    meanY /= double(n);
    double numerator = 0, denominator = 0;
    for (std::size_t i = 0; i < n; ++i) {
        numerator += (trend_[i].first - meanX) * (trend_[i].second - meanY);
        denominator += (trend_[i].first - meanX) * (trend_[i].first - meanX);
    }
    const double slope = denominator == 0 ? 0 : numerator / denominator;
    const double trend = slope * double(trendSamples_) * kThresholdGain;
    // The threshold follows the trend (slowly up, faster down) so that a competing flow's
    // queue does not starve this one (GCC 5.4).
    if (lastThresholdUpdate_ >= 0 && std::fabs(trend) < threshold_ + 15.0) {
        const double k = std::fabs(trend) < threshold_ ? kThresholdDown : kThresholdUp;
        const double elapsedMs = std::min(double(nowMicros - lastThresholdUpdate_) / 1000.0, 100.0);
        threshold_ = std::clamp(threshold_ + k * (std::fabs(trend) - threshold_) * elapsedMs, kMinThresholdMs,
                                kMaxThresholdMs);
    }
    lastThresholdUpdate_ = nowMicros;
    if (trend > threshold_ && queueMicros_ >= kMinQueueMicros) {
        if (overuseSince_ < 0)
            overuseSince_ = nowMicros;
        if (nowMicros - overuseSince_ >= kOveruseMicros && trend >= previousTrend_) {
            usage_ = Usage::Over;
            lastOveruse_ = nowMicros;
        }
    }
    else {
        overuseSince_ = -1;
        usage_ = trend < -threshold_ ? Usage::Under : Usage::Normal;
    }
    previousTrend_ = trend;
}

void SendSideEstimator::updateRate(std::int64_t nowMicros)
{
    // Delivered: bytes of the packets that arrived within the window before the latest.
    const std::size_t n = std::min(arrivalCount_, kDeliveredWindow);
    if (n >= 2) {
        std::int64_t latest = arrivals_[(arrivalCount_ - 1) % kDeliveredWindow].first;
        for (std::size_t i = 0; i < n; ++i)
            latest = std::max(latest, arrivals_[i].first);
        std::int64_t earliest = latest;
        std::uint64_t bytes = 0;
        for (std::size_t i = 0; i < n; ++i)
            if (latest - arrivals_[i].first < kDeliveredWindowMicros) {
                bytes += arrivals_[i].second;
                earliest = std::min(earliest, arrivals_[i].first);
            }
        const auto span = std::max<std::int64_t>(latest - earliest, 100'000);
        delivered_ = static_cast<std::uint32_t>(std::min<std::uint64_t>(bytes * 8 * 1'000'000 / span, kMaxBps));
    }
    const double elapsed = lastRateUpdate_ == 0 ? 0 : double(nowMicros - lastRateUpdate_) / 1e6;
    lastRateUpdate_ = nowMicros;
    double estimate = estimate_;
    const double loss = lossFraction();
    if (usage_ == Usage::Over) {
        if (nowMicros - lastDecrease_ >= kDecreaseIntervalMicros) {
            estimate = std::min(estimate, kDecreaseFactor * (delivered_ ? delivered_ : estimate_));
            lastDecrease_ = nowMicros;
        }
    }
    else if (loss > kHighLoss) {
        if (nowMicros - lastDecrease_ >= kDecreaseIntervalMicros) {
            estimate *= 1.0 - 0.5 * loss;
            lastDecrease_ = nowMicros;
        }
    }
    else if (usage_ == Usage::Normal && elapsed > 0) {
        const double cap = kDeliveredHeadroom * delivered_ + kDeliveredSlackBps;
        if (estimate < cap)
            estimate = std::min(cap, estimate * std::pow(kGrowthPerSecond, std::min(elapsed, 1.0)));
    }
    estimate_ = static_cast<std::uint32_t>(std::clamp(estimate, double(kMinBps), double(kMaxBps)));
}

double SendSideEstimator::lossFraction() const
{
    std::uint32_t reported = 0, lost = 0;
    for (std::size_t i = 0; i < reported_.size(); ++i) {
        reported += reported_[i];
        lost += lost_[i];
    }
    // A loss report may be followed by the arrival (reordering): never above 1.
    return reported ? std::min(1.0, double(lost) / double(reported)) : 0.0;
}

bool SendSideEstimator::startProbe(std::uint32_t extraBps, std::int64_t nowMicros)
{
    if (probeState_ != ProbeState::Idle || nowMicros - probeEnded_ < probeInterval_ ||
        nowMicros - lastOveruse_ < kQuietAfterOveruseMicros || extraBps == 0)
        return false;
    probeState_ = ProbeState::Sending;
    probeBps_ = std::min(extraBps, std::max(estimate_, kMinProbeBps));
    probeStart_ = nowMicros;
    probeBytesSent_ = 0;
    probePackets_ = probeReported_ = probeReceived_ = 0;
    probeBytesReceived_ = 0;
    probeFirstArrival_ = probeLastArrival_ = 0;
    return true;
}

std::size_t SendSideEstimator::probeBytesDue(std::int64_t nowMicros)
{
    if (probeState_ != ProbeState::Sending)
        return 0;
    const auto elapsed = std::min(nowMicros - probeStart_, kProbeMicros);
    if (elapsed >= kProbeMicros) {
        probeState_ = ProbeState::Waiting;
        probeEnded_ = nowMicros;
    }
    const auto owed = static_cast<std::uint64_t>(elapsed) * probeBps_ / 8 / 1'000'000;
    return owed > probeBytesSent_ ? static_cast<std::size_t>(owed - probeBytesSent_) : 0;
}

void SendSideEstimator::finishProbe(std::int64_t nowMicros)
{
    probeState_ = ProbeState::Idle;
    probeEnded_ = nowMicros;
    // The rate the padding arrived at (the first packet opens the interval, its bytes are
    // not in it), against the rate it was sent at.
    bool success = false;
    if (probeReceived_ >= 5 && probeLastArrival_ > probeFirstArrival_) {
        const double receivedBps = double(probeBytesReceived_ - probeFirstArrivalBytes_) * 8e6 /
                                   double(probeLastArrival_ - probeFirstArrival_);
        const double sentBps = double(probeBytesSent_) * 8e6 / double(kProbeMicros);
        const double receivedShare = double(probeReceived_) / double(std::max<std::uint32_t>(probePackets_, 1));
        success = receivedShare >= kProbeSuccessShare && receivedBps >= kProbeSuccessShare * sentBps;
        if (success) {
            const double proven = 0.95 * (double(delivered_) + std::min(receivedBps, sentBps));
            estimate_ = static_cast<std::uint32_t>(std::clamp(std::max(double(estimate_), proven), double(kMinBps),
                                                              double(kMaxBps)));
        }
    }
    if (success) {
        ++probesSucceeded_;
        probeInterval_ = kMinProbeIntervalMicros;
    }
    else {
        ++probesFailed_;
        probeInterval_ = std::min(probeInterval_ * 2, kMaxProbeIntervalMicros);
    }
}

} // namespace parley::router
