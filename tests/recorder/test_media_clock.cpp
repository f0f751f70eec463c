#include <parley/recorder/media_clock.h>

#include <catch2/catch.hpp>

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
