#include <parley/router/twcc_feedback.h>
#include <parley/router/twcc_receiver.h>

#include <catch2/catch.hpp>

#include <random>
#include <vector>

using namespace parley::router;

namespace {

std::vector<TwccPacketStatus> parse(std::span<const std::uint8_t> packet, bool& valid, std::size_t limit = 100000)
{
    std::vector<TwccPacketStatus> statuses;
    valid = forEachTwccStatus(packet, limit, [&](const TwccPacketStatus& s) { statuses.push_back(s); });
    return statuses;
}

} // namespace

TEST_CASE("TWCC feedback: what is built parses back, losses, runs, large and negative deltas, wrap")
{
    TwccFeedbackBuilder builder;
    // Arrivals in µs for sequence numbers 65530 onwards (across the wrap); 0 = lost.
    const std::vector<std::int64_t> arrivals{1'000'000, 1'000'250, 0, 0, 1'010'000, 1'009'000, 1'500'000,
                                             0, 0, 0, 0, 0, 0, 0, 0, 0, 1'500'500, 1'500'750};
    builder.begin(0x11111111, 0x22222222, 65530, 1'000'000, 7);
    for (const auto arrival : arrivals)
        REQUIRE(builder.add(arrival != 0, arrival));
    const auto packet = builder.finish();
    CHECK(packet.size() % 4 == 0);
    CHECK(packet[1] == 205);
    CHECK((packet[0] & 0x1f) == 15);
    CHECK(packet[19] == 7);
    bool valid = false;
    const auto statuses = parse(packet, valid);
    REQUIRE(valid);
    REQUIRE(statuses.size() == arrivals.size());
    // The reference time is the first arrival's, floored to 64 ms; deltas are relative to it.
    const std::int64_t offset = statuses[0].arrivalMicros - arrivals[0];
    for (std::size_t i = 0; i < arrivals.size(); ++i) {
        INFO("packet " << i);
        CHECK(statuses[i].sequence == static_cast<std::uint16_t>(65530 + i));
        CHECK(statuses[i].received == (arrivals[i] != 0));
        if (arrivals[i] != 0)
            CHECK(std::abs(statuses[i].arrivalMicros - offset - arrivals[i]) <= 125); // within half a unit
    }
    CHECK(offset == 0); // 1 000 000 µs is not a multiple of 64 ms, but the reference cancels out
}

TEST_CASE("TWCC feedback: a delta 16 bits cannot hold ends the packet, and the builder holds at most its maximum")
{
    TwccFeedbackBuilder builder;
    builder.begin(1, 2, 0, 0, 0);
    REQUIRE(builder.add(true, 0));
    CHECK_FALSE(builder.add(true, 9'000'000)); // 9 s later: more than 8.19 s
    CHECK(builder.packets() == 1);
    builder.begin(1, 2, 0, 0, 0);
    for (std::size_t i = 0; i < TwccFeedbackBuilder::kMaxPackets; ++i)
        REQUIRE(builder.add(i % 3 != 0, static_cast<std::int64_t>(i) * 1000));
    CHECK_FALSE(builder.add(true, 500'000));
    bool valid = false;
    CHECK(parse(builder.finish(), valid).size() == TwccFeedbackBuilder::kMaxPackets);
    CHECK(valid);
}

TEST_CASE("TWCC feedback: hostile packets are refused or bounded, never read outside")
{
    TwccFeedbackBuilder builder;
    builder.begin(1, 2, 100, 0, 0);
    for (int i = 0; i < 30; ++i)
        builder.add(i % 4 != 1, i * 3000);
    const auto good = builder.finish();
    std::vector<std::uint8_t> packet(good.begin(), good.end());
    bool valid = false;
    // Every truncation is refused (or yields less), none reads past the end (ASan).
    for (std::size_t length = 0; length < packet.size(); ++length) {
        std::vector<std::uint8_t> cut(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(length));
        if (length >= 20)
            cut[0] &= static_cast<std::uint8_t>(~0x20); // no padding claim
        const auto statuses = parse(cut, valid);
        CHECK(statuses.size() <= 30);
    }
    // A status count far beyond the chunks: refused.
    auto inflated = packet;
    inflated[14] = 0xff;
    inflated[15] = 0xff;
    parse(inflated, valid);
    CHECK_FALSE(valid);
    // A reserved symbol in a run-length chunk.
    auto reserved = packet;
    reserved[20] = 0x60;
    reserved[21] = 0x05;
    parse(reserved, valid);
    CHECK_FALSE(valid);
    // Padding that claims more than the packet.
    auto padded = packet;
    padded[0] |= 0x20;
    padded.back() = 200;
    parse(padded, valid);
    CHECK_FALSE(valid);
    // A run of 8191 received packets in a short packet: bounded by the limit, then deltas run out.
    std::vector<std::uint8_t> run{0x8f, 205, 0, 5, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0x1f, 0xff, 0, 0, 0, 0, 0x3f, 0xff, 1, 1};
    const auto statuses = parse(run, valid, 1000);
    CHECK_FALSE(valid);
    CHECK(statuses.size() == 2);
    // Random bytes with a valid header never crash.
    std::mt19937 random(3);
    for (int i = 0; i < 20000; ++i) {
        std::vector<std::uint8_t> noise(20 + random() % 60);
        for (auto& b : noise)
            b = static_cast<std::uint8_t>(random());
        noise[0] = static_cast<std::uint8_t>(0x8f | (noise[0] & 0x20));
        noise[1] = 205;
        const auto parsed = parse(noise, valid, 5000);
        CHECK(parsed.size() <= 5000);
    }
}

TEST_CASE("TWCC receiver: feedback covers what arrived, losses included, once, late packets are counted")
{
    TwccReceiver receiver;
    CHECK(receiver.nextFeedback(1, 2).empty());
    std::int64_t at = 2'000'000;
    for (std::uint16_t seq = 65534; seq != 6; ++seq, at += 1000)
        if (seq != 1 && seq != 2)
            receiver.onPacket(seq, at);
    const auto feedback = receiver.nextFeedback(1, 2);
    bool valid = false;
    const auto statuses = parse(feedback, valid);
    REQUIRE(valid);
    REQUIRE(statuses.size() == 8); // 65534 .. 5
    CHECK(statuses.front().sequence == 65534);
    CHECK_FALSE(statuses[3].received); // 1
    CHECK_FALSE(statuses[4].received); // 2
    CHECK(statuses[5].received);
    CHECK(receiver.nextFeedback(1, 2).empty()); // nothing new
    // 2 arrives after its feedback: late, not reported again.
    receiver.onPacket(2, 2'100'000);
    CHECK(receiver.late() == 1);
    CHECK(receiver.nextFeedback(1, 2).empty());
    // The next feedback starts where the last ended and carries its count.
    receiver.onPacket(7, 2'200'000);
    const auto next = parse(receiver.nextFeedback(1, 2), valid);
    REQUIRE(next.size() == 2); // 6 lost, 7
    CHECK(next[0].sequence == 6);
    CHECK_FALSE(next[0].received);
    CHECK(receiver.feedbackSent() == 2);
}

TEST_CASE("TWCC receiver: a flood of packets is reported in several bounded packets")
{
    TwccReceiver receiver;
    for (int i = 0; i < 1500; ++i)
        receiver.onPacket(static_cast<std::uint16_t>(i), i * 100);
    std::size_t reported = 0;
    int packets = 0;
    for (auto feedback = receiver.nextFeedback(1, 2); !feedback.empty(); feedback = receiver.nextFeedback(1, 2)) {
        bool valid = false;
        reported += parse(feedback, valid).size();
        CHECK(valid);
        CHECK(feedback.size() <= TwccFeedbackBuilder::kMaxBytes);
        ++packets;
    }
    CHECK(reported == 1500);
    CHECK(packets == 4);
}
