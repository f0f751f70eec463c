// The send-side bandwidth estimate from transport-wide feedback: a simulated link with a
// rate, a delay and loss between the router and a subscriber, feedback built as browsers do.
#include <parley/router/send_side_estimator.h>
#include <parley/router/twcc_feedback.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

using namespace parley::router;

namespace {

/// A link: a bottleneck of `rateBps` (0: none) with a queue, a fixed delay, random loss;
/// it reports to the estimator every 100 ms as a receiver's transport-wide feedback would.
class SimulatedLink
{
public:
    double rateBps = 0;
    std::int64_t delayMicros = 20'000;
    double loss = 0;
    std::int64_t jitterMicros = 0; ///< each packet delayed by up to this much more, at random

    explicit SimulatedLink(SendSideEstimator& estimator) : estimator_(estimator) {}

    /// Sends `bytes` at `now` (a probe's padding or media).
    void send(std::size_t bytes, std::int64_t now, bool probe = false)
    {
        const auto sequence = estimator_.nextSequence();
        estimator_.onSent(bytes, now, probe);
        std::int64_t arrival = now + delayMicros;
        if (rateBps > 0) {
            const auto start = std::max(now, busyUntil_);
            busyUntil_ = start + static_cast<std::int64_t>(double(bytes) * 8e6 / rateBps);
            arrival = busyUntil_ + delayMicros;
        }
        if (jitterMicros > 0) {
            // A busy host or a Wi-Fi link in power save: delay that creeps up by as much as
            // `jitterMicros` over 300 ms and falls back, with random jitter on top, in order.
            arrival += (now % 300'000) * jitterMicros / 300'000;
            arrival += std::uniform_int_distribution<std::int64_t>(0, jitterMicros / 4)(random_);
            arrival = std::max(arrival, lastArrival_);
            lastArrival_ = arrival;
        }
        const bool lost = std::uniform_real_distribution<>(0, 1)(random_) < loss;
        pending_.push_back({sequence, !lost, arrival});
    }

    /// Feedback about everything that has arrived by `now`.
    void feedback(std::int64_t now)
    {
        std::size_t count = 0;
        while (count < pending_.size() && pending_[count].arrival <= now)
            ++count;
        if (count == 0)
            return;
        TwccFeedbackBuilder builder;
        builder.begin(1, 2, pending_.front().sequence, pending_.front().arrival, feedbackCount_++);
        for (std::size_t i = 0; i < count; ++i)
            REQUIRE(builder.add(pending_[i].received, pending_[i].arrival));
        CHECK(estimator_.onFeedback(builder.finish(), now));
        pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(count));
    }

    /// `seconds` of media at `bps` in 1000-byte packets, feedback every 100 ms.
    void run(double bps, double seconds, std::int64_t& now)
    {
        const auto gap = static_cast<std::int64_t>(8000 * 1e6 / bps);
        const auto end = now + static_cast<std::int64_t>(seconds * 1e6);
        if (nextFeedback_ == 0)
            nextFeedback_ = now + 100'000;
        for (; now < end; now += gap) {
            send(1000, now);
            if (now >= nextFeedback_) {
                feedback(now);
                nextFeedback_ += 100'000;
            }
        }
    }

private:
    struct Pending
    {
        std::uint16_t sequence;
        bool received;
        std::int64_t arrival;
    };
    SendSideEstimator& estimator_;
    std::vector<Pending> pending_;
    std::int64_t busyUntil_ = 0;
    std::int64_t lastArrival_ = 0;
    std::int64_t nextFeedback_ = 0;
    std::uint8_t feedbackCount_ = 0;
    std::mt19937 random_{7};
};

} // namespace

TEST_CASE("Send-side estimate: on a clean link it grows, but never beyond what was delivered by half again")
{
    SendSideEstimator estimator;
    SimulatedLink link(estimator);
    std::int64_t now = 1'000'000;
    link.run(1'000'000, 6, now);
    CHECK(estimator.usage() == SendSideEstimator::Usage::Normal);
    CHECK(estimator.deliveredBps() > 900'000);
    CHECK(estimator.deliveredBps() < 1'100'000);
    CHECK(estimator.estimate() > SendSideEstimator::kStartBps * 14 / 10); // 8 % a second
    CHECK(estimator.lossFraction() == 0);
    // Sending little: what was never sent is not known to fit, so it does not grow (a probe
    // must show the room first).
    SendSideEstimator small;
    SimulatedLink smallLink(small);
    now = 1'000'000;
    smallLink.run(100'000, 20, now);
    CHECK(small.estimate() == SendSideEstimator::kStartBps);
}

TEST_CASE("Send-side estimate: a queue building at a bottleneck is over-use, and the estimate drops below the bottleneck")
{
    SendSideEstimator estimator;
    SimulatedLink link(estimator);
    std::int64_t now = 1'000'000;
    link.run(800'000, 10, now);
    const auto before = estimator.estimate();
    REQUIRE(before > 500'000);
    link.rateBps = 500'000; // the link narrows under 800 kbit/s of media
    bool overused = false;
    for (int i = 0; i < 30; ++i) {
        link.run(800'000, 0.1, now);
        overused = overused || estimator.usage() == SendSideEstimator::Usage::Over;
    }
    CHECK(overused);
    CHECK(estimator.estimate() < 500'000);
    CHECK(estimator.estimate() >= SendSideEstimator::kMinBps);
}

TEST_CASE("Send-side estimate: jitter without a queue (a busy host, Wi-Fi) is not over-use")
{
    SendSideEstimator estimator;
    SimulatedLink link(estimator);
    link.jitterMicros = 15'000;
    std::int64_t now = 1'000'000;
    std::uint32_t lowest = estimator.estimate();
    for (int i = 0; i < 100; ++i) {
        link.run(1'000'000, 0.1, now);
        CHECK(estimator.usage() != SendSideEstimator::Usage::Over);
        lowest = std::min(lowest, estimator.estimate());
    }
    CHECK(lowest == SendSideEstimator::kStartBps);
    CHECK(estimator.estimate() > SendSideEstimator::kStartBps * 15 / 10);
}

TEST_CASE("Send-side estimate: heavy loss cuts the estimate, light loss does not")
{
    SendSideEstimator light;
    SimulatedLink lightLink(light);
    lightLink.loss = 0.01;
    std::int64_t now = 1'000'000;
    lightLink.run(1'000'000, 5, now);
    CHECK(light.estimate() > SendSideEstimator::kStartBps);

    SendSideEstimator heavy;
    SimulatedLink heavyLink(heavy);
    heavyLink.loss = 0.3;
    now = 1'000'000;
    heavyLink.run(1'000'000, 5, now);
    CHECK(heavy.lossFraction() > 0.2);
    CHECK(heavy.estimate() < SendSideEstimator::kStartBps / 2);
}

TEST_CASE("Send-side estimate: a probe that arrives at its rate raises the estimate, one a narrow link slows does not, and the next waits longer")
{
    SendSideEstimator estimator;
    SimulatedLink link(estimator);
    std::int64_t now = 1'000'000;
    link.run(200'000, 3, now);
    const auto before = estimator.estimate();
    REQUIRE(before < 500'000);
    REQUIRE(estimator.startProbe(1'000'000, now));
    CHECK_FALSE(estimator.startProbe(1'000'000, now)); // one at a time
    std::int64_t nextMedia = now;
    const auto probeStart = now;
    while (estimator.probing() || now < probeStart + 600'000) {
        for (auto due = estimator.probeBytesDue(now); due > 0; due -= std::min<std::size_t>(due, 255))
            link.send(std::min<std::size_t>(due, 255), now, true);
        if (now >= nextMedia) {
            link.send(1000, now);
            nextMedia += 40'000;
        }
        if (now % 100'000 == 0)
            link.feedback(now);
        now += 5'000;
    }
    link.feedback(now + 1'000'000);
    CHECK(estimator.probesSucceeded() == 1);
    // A doubling at a time: the probe asked for 1 Mbit/s more was held to the estimate.
    CHECK(estimator.estimate() >= before * 3 / 2);
    CHECK(estimator.estimate() <= 2 * before + 250'000);

    // A narrow link: the padding arrives at 200 kbit/s, not the 300 kbit/s it was sent at.
    SendSideEstimator narrow;
    SimulatedLink narrowLink(narrow);
    narrowLink.rateBps = 200'000;
    now = 1'000'000;
    narrowLink.run(150'000, 3, now);
    const auto narrowBefore = narrow.estimate();
    REQUIRE(narrow.startProbe(2'000'000, now));
    const auto started = now;
    while (narrow.probing()) {
        for (auto due = narrow.probeBytesDue(now); due > 0; due -= std::min<std::size_t>(due, 255))
            narrowLink.send(std::min<std::size_t>(due, 255), now, true);
        now += 5'000;
    }
    for (int i = 0; i < 20; ++i) {
        now += 100'000;
        narrowLink.feedback(now);
    }
    CHECK(narrow.probesFailed() == 1);
    CHECK(narrow.estimate() <= narrowBefore);
    // Failed: the next probe waits twice the shortest interval.
    CHECK_FALSE(narrow.startProbe(2'000'000, started + SendSideEstimator::kMinProbeIntervalMicros + 200'000));
}

TEST_CASE("Send-side estimate: malformed, repeated and invented feedback is refused or ignored, and bounded")
{
    SendSideEstimator estimator;
    SimulatedLink link(estimator);
    std::int64_t now = 1'000'000;
    link.run(500'000, 2, now);
    const auto estimate = estimator.estimate();
    const auto delivered = estimator.deliveredBps();

    // Truncated and garbage packets: refused and counted, nothing changes.
    const std::uint8_t garbage[] = {0x8f, 205, 0, 4, 1, 2, 3, 4, 5, 6, 7, 8};
    CHECK_FALSE(estimator.onFeedback(garbage, now));
    CHECK_FALSE(estimator.onFeedback({}, now));
    CHECK(estimator.feedbackMalformed() == 2);

    // Feedback about packets never sent (far ahead) and a run claiming thousands: bounded,
    // and nothing is credited.
    TwccFeedbackBuilder builder;
    builder.begin(1, 2, static_cast<std::uint16_t>(estimator.nextSequence() + 1000), now, 9);
    for (int i = 0; i < 300; ++i)
        REQUIRE(builder.add(true, now + i * 250));
    CHECK(estimator.onFeedback(builder.finish(), now));
    CHECK(estimator.deliveredBps() == delivered);
    std::uint8_t flood[20] = {0x8f, 205, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0xff, 0xff, 0, 0, 0, 0};
    flood[16] = 0x1f; // a run-length chunk: 8191 packets not received
    flood[17] = 0xff;
    estimator.onFeedback(flood, now);
    CHECK(estimator.estimate() >= SendSideEstimator::kMinBps);

    // The same report twice: counted once.
    SendSideEstimator twice;
    const auto first = twice.nextSequence();
    for (int i = 0; i < 50; ++i)
        twice.onSent(1000, now + i * 10'000);
    TwccFeedbackBuilder again;
    again.begin(1, 2, first, now, 0);
    for (int i = 0; i < 50; ++i)
        REQUIRE(again.add(true, now + 20'000 + i * 10'000));
    const auto report = again.finish();
    const std::vector<std::uint8_t> copy(report.begin(), report.end());
    CHECK(twice.onFeedback(copy, now + 600'000));
    const auto once = twice.deliveredBps();
    CHECK(twice.onFeedback(copy, now + 700'000));
    CHECK(twice.deliveredBps() == once);

    // Lost packets reported again and again count once, and one that arrives after all
    // is not lost.
    SendSideEstimator lossy;
    const auto base = lossy.nextSequence();
    for (int i = 0; i < 20; ++i)
        lossy.onSent(1000, now + i * 10'000);
    const auto lossReport = [&](int receivedUpTo) {
        TwccFeedbackBuilder b;
        b.begin(1, 2, base, now + 20'000, 0);
        for (int i = 0; i < 20; ++i)
            REQUIRE(b.add(i < receivedUpTo, now + 20'000 + i * 10'000));
        const auto packet = b.finish();
        return std::vector<std::uint8_t>(packet.begin(), packet.end());
    };
    CHECK(lossy.onFeedback(lossReport(10), now + 300'000));
    CHECK(lossy.lossFraction() == Approx(0.5));
    CHECK(lossy.onFeedback(lossReport(10), now + 310'000));
    CHECK(lossy.lossFraction() == Approx(0.5));
    CHECK(lossy.onFeedback(lossReport(15), now + 320'000));
    CHECK(lossy.lossFraction() == Approx(0.25));
    (void)estimate;
}
