#include <parley/router/nack_generator.h>
#include <parley/router/packet_store.h>

#include <catch2/catch.hpp>

#include <random>
#include <vector>

using namespace parley::router;

namespace {

/// The sequence numbers a collect() at `now` asks for, decoded as a publisher would.
std::vector<std::uint16_t> collect(NackGenerator& nacks, std::int64_t now, std::int64_t retry = 100'000,
                                   std::size_t entries = 64)
{
    std::vector<std::uint8_t> fci(entries * 4);
    fci.resize(nacks.collect(now, retry, fci));
    std::vector<std::uint16_t> asked;
    forEachNackedSequence(fci, 100000, [&](std::uint16_t s) { asked.push_back(s); });
    return asked;
}

} // namespace

TEST_CASE("NACK generator: packets in order ask for nothing")
{
    NackGenerator nacks;
    for (std::uint16_t seq = 65530; seq != 10; ++seq)
        CHECK(nacks.onPacket(seq) == NackGenerator::Arrival::InOrder);
    CHECK(nacks.missing() == 0);
    CHECK(collect(nacks, 1000).empty());
}

TEST_CASE("NACK generator: a gap is asked for at once, repeated soon after, then once per round trip, packed into PID and BLP")
{
    NackGenerator nacks;
    nacks.onPacket(100);
    CHECK(nacks.onPacket(104) == NackGenerator::Arrival::Gap);
    CHECK(nacks.onPacket(130) == NackGenerator::Arrival::Gap);
    std::vector<std::uint8_t> fci(64);
    fci.resize(nacks.collect(1'000'000, 100'000, fci));
    // 101 with 102, 103 and 105..117 in its mask (not 104, which came); 118 with 119..129.
    CHECK(fci == std::vector<std::uint8_t>{0, 101, 0xff, 0xfb, 0, 118, 0x07, 0xff});
    // The first request is repeated once soon (it may have been lost), then tried again a
    // round trip and a margin after the first.
    CHECK(collect(nacks, 1'010'000).empty());
    CHECK(collect(nacks, 1'020'000).size() == 3 + 25);
    CHECK(collect(nacks, 1'110'000).empty());
    CHECK(collect(nacks, 1'120'000).size() == 3 + 25);
    CHECK(collect(nacks, 1'230'000).empty());
    // A packet that comes is no longer asked for; a duplicate changes nothing.
    CHECK(nacks.onPacket(102, 1'180'000) == NackGenerator::Arrival::Recovered);
    CHECK(nacks.lastRepairMicros() == 180'000); // from the first request
    CHECK(nacks.onPacket(102) == NackGenerator::Arrival::InOrder);
    CHECK(nacks.recovered() == 1);
    const auto asked = collect(nacks, 1'400'000);
    CHECK(std::find(asked.begin(), asked.end(), 102) == asked.end());
    CHECK(asked.size() == 2 + 25);
}

TEST_CASE("NACK generator: a packet is given up after the last retry")
{
    NackGenerator nacks;
    nacks.onPacket(1);
    nacks.onPacket(3);
    for (int i = 0; i < NackGenerator::kMaxRetries; ++i)
        CHECK(collect(nacks, 1 + i * 120'000) == std::vector<std::uint16_t>{2});
    CHECK(nacks.missing() == 0);
    CHECK(nacks.givenUp() == 1);
    CHECK(collect(nacks, 5'000'000).empty());
    CHECK(nacks.asked() == NackGenerator::kMaxRetries);
}

TEST_CASE("NACK generator: gaps across the wrap of sequence numbers")
{
    NackGenerator nacks;
    nacks.onPacket(65534);
    CHECK(nacks.onPacket(2) == NackGenerator::Arrival::Gap);
    CHECK(collect(nacks, 10) == std::vector<std::uint16_t>{65535, 0, 1});
    CHECK(nacks.onPacket(0) == NackGenerator::Arrival::Recovered);
    CHECK(collect(nacks, 200'000) == std::vector<std::uint16_t>{65535, 1});
}

TEST_CASE("NACK generator: a gap too large is given up whole and asks for a keyframe")
{
    NackGenerator nacks;
    nacks.onPacket(0);
    nacks.onPacket(3); // 1, 2 missing
    CHECK(nacks.onPacket(static_cast<std::uint16_t>(4 + NackGenerator::kMaxMissing + 1)) ==
          NackGenerator::Arrival::KeyframeNeeded);
    CHECK(nacks.missing() == 0);
    CHECK(nacks.givenUp() == 2 + NackGenerator::kMaxMissing + 1);
    CHECK(collect(nacks, 10).empty());
}

TEST_CASE("NACK generator: many gaps keep the newest within the bound, and one NACK holds what fits")
{
    NackGenerator nacks;
    std::uint16_t seq = 0;
    nacks.onPacket(seq);
    // Every other packet lost, 400 times: more holes than it tracks.
    for (int i = 0; i < 400; ++i) {
        seq = static_cast<std::uint16_t>(seq + 2);
        nacks.onPacket(seq);
    }
    CHECK(nacks.missing() == NackGenerator::kMaxMissing);
    CHECK(nacks.givenUp() == 400 - NackGenerator::kMaxMissing);
    // Four entries' room: each covers 9 holes (PID + 8 in its mask).
    const auto first = collect(nacks, 10, 100'000, 4);
    CHECK(first.size() == 4 * 9);
    CHECK(first.front() == static_cast<std::uint16_t>(seq - 2 * NackGenerator::kMaxMissing + 1));
    // The rest are still due.
    const auto rest = collect(nacks, 20);
    CHECK(rest.size() == NackGenerator::kMaxMissing - 4 * 9);
}

TEST_CASE("NACK generator: random loss and reordering never track a received packet nor exceed the bound")
{
    NackGenerator nacks;
    std::mt19937 random(7);
    std::vector<bool> received(70000);
    std::uint16_t seq = 60000;
    nacks.onPacket(seq);
    received[seq] = true;
    std::vector<std::uint16_t> held;
    for (int i = 0; i < 20000; ++i) {
        seq = static_cast<std::uint16_t>(seq + 1);
        const auto roll = random() % 100;
        if (roll < 5)
            continue; // lost
        if (roll < 10) {
            held.push_back(seq); // arrives later
            continue;
        }
        nacks.onPacket(seq);
        received[seq] = true;
        if (!held.empty() && random() % 3 == 0) {
            nacks.onPacket(held.front());
            received[held.front()] = true;
            held.erase(held.begin());
        }
        REQUIRE(nacks.missing() <= NackGenerator::kMaxMissing);
        if (i % 50 == 0)
            for (const auto asked : collect(nacks, i * 1000 + 1, 20'000))
                REQUIRE(!received[asked]);
    }
}
