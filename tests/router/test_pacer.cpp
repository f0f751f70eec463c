#include "pacer.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

using namespace parley::router;

namespace {

Pacer::Entry entry(Publication* publication, std::uint16_t sequence, std::uint16_t bytes, std::int64_t now,
                   std::uint32_t copySsrc = 7)
{
    Pacer::Entry e;
    e.publication = publication;
    e.sourceSequence = sequence;
    e.bytes = bytes;
    e.queuedAt = now;
    e.header.ssrc = copySsrc;
    return e;
}

/// What left the pacer on each 5 ms tick: sequence number and time, as the worker's tick
/// sends what is due (each departure spends the budget, as PacketSender does).
struct Departure
{
    std::uint16_t sequence;
    std::int64_t at;
};

std::vector<Departure> drain(Pacer& pacer, std::int64_t from, std::int64_t until)
{
    std::vector<Departure> out;
    for (auto now = from; now <= until && !pacer.empty(); now += 5'000)
        while (const auto* e = pacer.due(now)) {
            out.push_back({e->sourceSequence, now});
            pacer.onSent(e->bytes, now);
            pacer.pop();
        }
    return out;
}

} // namespace

TEST_CASE("Pacer: without a rate nothing waits")
{
    Pacer pacer;
    CHECK_FALSE(pacer.mustWait(1'000'000));
    pacer.onSent(100'000, 1'000'000);
    CHECK_FALSE(pacer.mustWait(1'000'001));
}

TEST_CASE("Pacer: a burst beyond the budget leaves at the pacing rate, in order")
{
    Pacer pacer;
    pacer.setRate(4'000'000); // 500 bytes a millisecond
    std::int64_t now = 1'000'000;
    int sentAtOnce = 0;
    std::uint16_t sequence = 0;
    // A keyframe of 20 packets of 1000 bytes arrives at once.
    for (; sequence < 20; ++sequence) {
        if (!pacer.mustWait(now)) {
            pacer.onSent(1000, now);
            ++sentAtOnce;
            continue;
        }
        pacer.push(entry(nullptr, sequence, 1000, now));
    }
    // What the budget held went at once (1500 bytes at the start: a second packet may
    // take it below zero), the rest waits.
    CHECK(sentAtOnce == 2);
    CHECK(pacer.size() == 18);
    // Video arriving meanwhile queues behind, even with budget left.
    const auto departures = drain(pacer, now + 5'000, now + 300'000);
    REQUIRE(departures.size() == 18);
    for (std::size_t i = 0; i < departures.size(); ++i)
        CHECK(departures[i].sequence == i + 2);
    // 18 000 bytes at 500 bytes/ms: about 36 ms, in steps no larger than a tick's budget
    // and one packet over.
    const auto span = departures.back().at - now;
    CHECK(span >= 33'000);
    CHECK(span <= 45'000);
    std::int64_t tick = departures.front().at;
    int inTick = 0;
    for (const auto& d : departures) {
        if (d.at != tick) {
            tick = d.at;
            inTick = 0;
        }
        ++inTick;
        CHECK(inTick <= 4); // 2500 bytes per 5 ms tick, plus one packet
    }
}

TEST_CASE("Pacer: where the estimate is too low for what waits, nothing waits more than 250 ms")
{
    Pacer pacer;
    pacer.setRate(100'000); // 12.5 bytes a millisecond: 60 kB would take 4.8 s
    const std::int64_t start = 1'000'000;
    REQUIRE_FALSE(pacer.mustWait(start));
    pacer.onSent(2000, start);
    for (std::uint16_t sequence = 0; sequence < 60; ++sequence) {
        REQUIRE(pacer.mustWait(start));
        pacer.push(entry(nullptr, sequence, 1000, start));
    }
    const auto departures = drain(pacer, start + 5'000, start + 1'000'000);
    REQUIRE(departures.size() == 60);
    CHECK(departures.back().at - start <= Pacer::kMaxWaitMicros);
    // Spread over that time, not sent at once when the wait runs out.
    CHECK(departures[30].at - start <= 200'000);
    CHECK(departures[30].at - start >= 50'000);
}

TEST_CASE("Pacer: audio, resends and probes spend the budget, so video behind them waits")
{
    Pacer pacer;
    pacer.setRate(8'000'000); // 1000 bytes a millisecond
    std::int64_t now = 1'000'000;
    CHECK_FALSE(pacer.mustWait(now));
    pacer.onSent(10'000, now); // ten packets sent at once, 8500 bytes over the budget
    CHECK(pacer.mustWait(now + 1'000));
    CHECK(pacer.mustWait(now + 8'000));
    CHECK_FALSE(pacer.mustWait(now + 9'000));
    // Time going back (arrival stamps against batch times) adds no budget.
    pacer.onSent(5'000, now + 11'000); // 2500 left before: 2500 over
    CHECK(pacer.mustWait(now + 2'000));
    CHECK(pacer.mustWait(now + 11'000));
    // Unspent budget is kept for 10 ms at most (10 000 bytes here): a long quiet spell
    // does not allow a flood.
    CHECK_FALSE(pacer.mustWait(now + 1'000'000));
    pacer.onSent(10'000, now + 1'000'000);
    CHECK(pacer.mustWait(now + 1'000'000));
    // With budget to spare, video still waits behind what waits already: order is kept.
    pacer.push(entry(nullptr, 1, 1000, now + 1'000'000));
    CHECK(pacer.mustWait(now + 2'000'000));
    REQUIRE(pacer.due(now + 2'000'000) != nullptr);
    pacer.pop();
    CHECK_FALSE(pacer.mustWait(now + 2'000'000));
}

TEST_CASE("Pacer: full at its capacity, and what waits of an ended publication or subscription is dropped in order")
{
    Pacer pacer;
    pacer.setRate(1'000'000);
    Publication* a = reinterpret_cast<Publication*>(std::uintptr_t{0x1000});
    Publication* b = reinterpret_cast<Publication*>(std::uintptr_t{0x2000});
    const std::int64_t now = 1'000'000;
    pacer.onSent(100'000, now);
    for (std::size_t i = 0; i < Pacer::kCapacity; ++i)
        pacer.push(entry(i % 2 ? a : b, static_cast<std::uint16_t>(i), 100, now, i % 4 == 1 ? 8 : 7));
    CHECK(pacer.full());
    pacer.push(entry(a, 9999, 100, now)); // refused: the caller makes room first
    CHECK(pacer.size() == Pacer::kCapacity);
    // b's subscriber unsubscribed from a's copy under SSRC 8: those go, the others stay.
    pacer.forget(a, 8);
    CHECK(pacer.size() == Pacer::kCapacity - Pacer::kCapacity / 4);
    // b ends: all its copies go; a's remaining ones keep their order.
    pacer.forget(b);
    REQUIRE(pacer.size() == Pacer::kCapacity / 4);
    std::uint16_t previous = 0;
    for (std::size_t i = 0; i < Pacer::kCapacity / 4; ++i) {
        CHECK(pacer.front().publication == a);
        CHECK(pacer.front().header.ssrc == 7);
        CHECK(pacer.front().sourceSequence % 4 == 3);
        if (i > 0)
            CHECK(pacer.front().sourceSequence > previous);
        previous = pacer.front().sourceSequence;
        pacer.pop();
    }
    CHECK(pacer.empty());
    pacer.pop(); // popping an empty pacer is harmless
    CHECK(pacer.due(now) == nullptr);
}

TEST_CASE("Pacer: a copy waiting is found by its SSRC and our sequence number, so a NACK for it is not answered twice")
{
    Pacer pacer;
    pacer.setRate(1'000'000);
    auto waiting = entry(nullptr, 500, 1000, 1'000'000, 7);
    waiting.header.sequence = 42;
    pacer.push(waiting);
    CHECK(pacer.holds(7, 42));
    CHECK_FALSE(pacer.holds(7, 43));
    CHECK_FALSE(pacer.holds(8, 42));
    CHECK_FALSE(pacer.holds(7, 500)); // the publisher's number is not ours
    pacer.pop();
    CHECK_FALSE(pacer.holds(7, 42));
}
