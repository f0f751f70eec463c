#include <parley/recorder/media_clock.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>
#include <vector>

using namespace parley::recorder;

TEST_CASE("RTP timestamps unwrap across 2^32 and allow reordering", "[recorder]")
{
    RtpTimestampUnwrapper unwrapper;
    CHECK(unwrapper.unwrap(0xFFFFFF00u) == 0xFFFFFF00ll);
    CHECK(unwrapper.unwrap(0x00000100u) == 0x100000100ll);
    CHECK(unwrapper.unwrap(0xFFFFFFF0u) == 0xFFFFFFF0ll); // a late packet from before the wrap
    CHECK(unwrapper.unwrap(0x00000200u) == 0x100000200ll);
}

TEST_CASE("a stream is placed on the sender's wall clock by its sender reports", "[recorder]")
{
    MediaClock audio(48000);
    // Before any report: the first packet at its arrival time, later ones by RTP time.
    CHECK(audio.wallClock(1000, 5'000'000) == 5'000'000);
    CHECK(audio.wallClock(1000 + 48000, 9'999'999) == 6'000'000);
    CHECK(!audio.synchronised());

    // NTP 3900000000.5 s ↔ RTP 1000; 960 samples later is 20 ms later.
    const std::uint64_t ntp = (3900000000ull << 32) | 0x80000000u;
    audio.onSenderReport(ntp, 1000);
    CHECK(audio.synchronised());
    CHECK(ntpToMicroseconds(ntp) == 3900000000ll * 1000000 + 500000);
    CHECK(audio.wallClock(1960, 0) == ntpToMicroseconds(ntp) + 20000);

    // Video of the same sender on 90 kHz lines up with it.
    MediaClock video(90000);
    video.onSenderReport(ntp, 500);
    CHECK(video.wallClock(500 + 1800, 0) == audio.wallClock(1960, 0));
    CHECK_THROWS_AS(MediaClock(0), std::invalid_argument);
}

namespace {

/// Sender reports of a 48 kHz stream every second whose NTP times are off by up to
/// ±`jitterMicros` (a busy sender), then every 20 ms packet's place on the wall clock.
std::vector<std::int64_t> placePackets(MediaClock& clock, std::int64_t jitterMicros, int seconds)
{
    std::mt19937 random(7);
    std::uniform_int_distribution<std::int64_t> jitter(-jitterMicros, jitterMicros);
    const std::uint64_t base = 3900000000ull << 32;
    std::vector<std::int64_t> places;
    for (int packet = 0; packet < seconds * 50; ++packet) {
        const auto rtp = static_cast<std::uint32_t>(4000000000u + packet * 960u); // wraps on the way
        if (packet % 50 == 0) {
            const std::int64_t micros = packet * 20000 + jitter(random);
            clock.onSenderReport(base + static_cast<std::uint64_t>((micros << 32) / 1000000), rtp);
        }
        places.push_back(clock.wallClock(rtp, 0));
    }
    return places;
}

} // namespace

TEST_CASE("jittery sender reports move a stream's timeline by at most a few milliseconds", "[recorder]")
{
    MediaClock clock(48000);
    const auto places = placePackets(clock, 25000, 120);
    std::int64_t worst = 0;
    for (std::size_t i = 1; i < places.size(); ++i)
        worst = std::max(worst, std::abs(places[i] - places[i - 1] - 20000));
    // Following each report would move it by up to 50 ms; smoothed, by at most 2 ms.
    CHECK(worst <= MediaClock::kMaxCorrectionMicros + 1);
    CHECK(clock.reanchors() == 0);
    // And it stays near the sender's clock: within the jitter of the truth.
    CHECK(std::abs(places.back() - (ntpToMicroseconds(3900000000ull << 32) + 5999 * 20000)) < 25000);
}

TEST_CASE("a sender's clock jump re-anchors the timeline once confirmed, a single outlier does not", "[recorder]")
{
    MediaClock clock(90000);
    const std::uint64_t base = 3900000000ull << 32;
    const auto ntpAt = [base](std::int64_t micros) { return base + static_cast<std::uint64_t>((micros << 32) / 1000000); };
    clock.onSenderReport(ntpAt(0), 0);
    CHECK(clock.wallClock(90000, 0) == ntpToMicroseconds(base) + 1000000);

    // One report 3 s off, the next on time again: an outlier, the mapping stays.
    clock.onSenderReport(ntpAt(4000000), 90000);
    CHECK(clock.wallClock(90000, 0) == ntpToMicroseconds(base) + 1000000);
    clock.onSenderReport(ntpAt(2000000), 180000);
    CHECK(clock.outliers() == 1);
    CHECK(clock.reanchors() == 0);
    CHECK(clock.wallClock(180000, 0) == ntpToMicroseconds(base) + 2000000);

    // The sender's clock is set 10 s ahead and stays there: two reports agree, re-anchored.
    clock.onSenderReport(ntpAt(13000000), 270000);
    CHECK(clock.wallClock(270000, 0) == ntpToMicroseconds(base) + 3000000);
    clock.onSenderReport(ntpAt(14000000), 360000);
    CHECK(clock.reanchors() == 1);
    CHECK(clock.wallClock(360000 + 90000, 0) == ntpToMicroseconds(base) + 15000000);

    // Hostile reports (NTP zero, all ones) never re-anchor on their own.
    clock.onSenderReport(0, 450000);
    clock.onSenderReport(~0ull, 540000);
    CHECK(clock.reanchors() == 1);

    // Timestamps that jump by half the range every packet for a long time: no overflow (the
    // sanitizer build would stop here), times saturate far in the future.
    std::uint32_t hostile = 540000;
    std::int64_t last = 0;
    for (int i = 0; i < 20000; ++i) {
        hostile += 0x7fffffffu;
        last = clock.wallClock(hostile, 0);
    }
    CHECK(last > ntpToMicroseconds(base));
}
