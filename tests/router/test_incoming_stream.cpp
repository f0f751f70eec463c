// The receive statistics behind the router's receiver reports (RFC 3550 A.1, A.3, A.8):
// loss, reordering, duplicates, wrap-around, restarts, jitter, LSR/DLSR, hostile values.
#include <parley/router/incoming_stream.h>

#include <catch2/catch.hpp>

#include <random>

using namespace parley::router;

namespace {

/// 20 ms audio packets (960 ticks at 48 kHz) arriving exactly on time from `first`.
void sendRun(IncomingStream& stream, std::uint16_t first, int count, std::int64_t startMicros = 0)
{
    for (int i = 0; i < count; ++i)
        stream.onPacket(static_cast<std::uint16_t>(first + i), static_cast<std::uint32_t>(i * 960),
                        startMicros + i * 20000);
}

} // namespace

TEST_CASE("a clean stream reports no loss and no jitter, one packet in ten lost is 10 %", "[router]")
{
    IncomingStream stream(1234, 48000);
    CHECK(stream.report(0).highestSequence == 0); // nothing yet
    sendRun(stream, 100, 50);
    auto block = stream.report(1'000'000);
    CHECK(block.ssrc == 1234);
    CHECK(block.fractionLost == 0);
    CHECK(block.cumulativeLost == 0);
    CHECK(block.highestSequence == 149);
    CHECK(block.jitter == 0);

    // The next second: every tenth packet missing.
    for (int i = 50; i < 150; ++i)
        if (i % 10 != 0)
            stream.onPacket(static_cast<std::uint16_t>(100 + i), static_cast<std::uint32_t>(i * 960), i * 20000);
    block = stream.report(3'000'000);
    CHECK(block.fractionLost == 25); // 10 of 100: 25.6/256
    CHECK(block.cumulativeLost == 10);
    CHECK(block.highestSequence == 249);
    // An interval without loss reports none again, the total stays.
    sendRun(stream, 250, 10);
    block = stream.report(4'000'000);
    CHECK(block.fractionLost == 0);
}

TEST_CASE("reordered and duplicated packets are not loss, and sequence numbers wrap at 65536", "[router]")
{
    IncomingStream stream(1, 90000);
    stream.onPacket(65530, 0, 0);
    stream.onPacket(65532, 0, 0);
    stream.onPacket(65531, 0, 0); // late
    stream.onPacket(65535, 0, 0);
    stream.onPacket(0, 0, 0);     // wrapped
    stream.onPacket(65533, 0, 0); // late across the wrap
    stream.onPacket(65534, 0, 0);
    stream.onPacket(1, 0, 0);
    stream.onPacket(1, 0, 0);     // duplicate
    const auto block = stream.report(0);
    CHECK(block.highestSequence == 65536 + 1);
    // Nothing lost; the duplicate makes it -1 (24-bit), as RFC 3550 counts duplicates.
    CHECK(block.cumulativeLost == 0xffffff);
    CHECK(block.fractionLost == 0);
    CHECK(stream.received() == 9);
}

TEST_CASE("a jump of the sequence is a restart only when the next packet follows it", "[router]")
{
    IncomingStream stream(1, 48000);
    sendRun(stream, 10, 20);
    // A stray packet far away is refused and counted, the stream goes on.
    CHECK_FALSE(stream.onPacket(40000, 0, 0));
    CHECK(stream.onPacket(30, 0, 0));
    CHECK(stream.jumps() == 1);
    CHECK(stream.report(0).highestSequence == 30);
    // The sender restarts at 20000: the second packet confirms it, and counting starts anew.
    CHECK(stream.restarts() == 0);
    CHECK_FALSE(stream.onPacket(20000, 0, 0));
    CHECK(stream.onPacket(20001, 0, 0));
    CHECK(stream.restarts() == 1);
    const auto block = stream.report(0);
    CHECK(block.highestSequence == 20001);
    CHECK(block.cumulativeLost == 0);
}

TEST_CASE("jitter follows the spread of arrival times, in timestamp units", "[router]")
{
    IncomingStream steady(1, 90000), shaky(2, 90000);
    std::mt19937 random(3);
    std::uniform_int_distribution<int> spread(-5000, 5000); // ±5 ms
    for (int i = 0; i < 2000; ++i) {
        const auto timestamp = static_cast<std::uint32_t>(4294000000u + i * 3000u); // 33 ms frames, wrapping
        steady.onPacket(static_cast<std::uint16_t>(i), timestamp, i * 33333);
        shaky.onPacket(static_cast<std::uint16_t>(i), timestamp, i * 33333 + spread(random));
    }
    CHECK(steady.jitter() <= 1);
    // Uniform ±5 ms: mean |difference| of two is 10/3 ms = 300 ticks at 90 kHz.
    CHECK(shaky.jitter() == Approx(300).margin(60));
}

TEST_CASE("LSR and DLSR come from the last sender report, and hostile values stay bounded", "[router]")
{
    IncomingStream stream(1, 48000);
    sendRun(stream, 0, 5);
    CHECK(stream.report(0).lastSenderReport == 0);
    const std::uint64_t ntp = (0x12345678ull << 32) | 0x9abcdef0u;
    stream.onSenderReport(ntp, 1'000'000);
    const auto block = stream.report(1'500'000);
    CHECK(block.lastSenderReport == 0x56789abc);
    CHECK(block.delaySinceSenderReport == 32768); // 0.5 s in 1/65536 s
    // A report "from the future" gives no negative delay; a huge one saturates.
    CHECK(stream.report(0).delaySinceSenderReport == 0);
    CHECK(stream.report(std::int64_t{1} << 60).delaySinceSenderReport == 0xffffffffu);
    CHECK_THROWS_AS(IncomingStream(1, 0), std::invalid_argument);

    // Far more lost than 24 bits hold: the cumulative loss saturates at 0x7fffff.
    IncomingStream lossy(2, 48000);
    std::uint16_t sequence = 0;
    for (int i = 0; i < 3000; ++i) {
        lossy.onPacket(sequence, 0, 0);
        sequence = static_cast<std::uint16_t>(sequence + 2999); // just under the dropout limit
    }
    CHECK(lossy.report(0).cumulativeLost == 0x7fffff);
}
