// The retransmission store and the NACK reader: bounded by count and age, wrap-around,
// overwritten places, hostile sizes and NACKs that ask for too much.
#include <parley/router/packet_store.h>

#include <catch2/catch.hpp>

#include <vector>

using namespace parley::router;

TEST_CASE("the packet store gives back recent packets by sequence number, within its count and age", "[router]")
{
    PacketStore store(8, 1'000'000);
    const std::vector<std::uint8_t> a{1, 2, 3}, b{4, 5};
    store.store(65535, a, 0);
    store.store(0, b, 10);
    CHECK(std::vector<std::uint8_t>(store.find(65535, 500'000).begin(), store.find(65535, 500'000).end()) == a);
    CHECK(store.find(0, 500'000).size() == 2);
    CHECK(store.find(1, 500'000).empty());           // never stored
    CHECK(store.find(65535, 1'000'001).empty());     // too old
    store.store(7, a, 20);                             // 65535 + 8: its place
    CHECK(store.find(65535, 30).empty());
    CHECK(store.find(7, 30).size() == 3);
    // Too big to keep: its place is emptied, not left to an older packet.
    store.store(15, std::vector<std::uint8_t>(PacketStore::kMaxPacketBytes + 1, 9), 40);
    CHECK(store.find(7, 50).empty());
    CHECK(store.find(15, 50).empty());
    CHECK_THROWS_AS(PacketStore(0, 1), std::invalid_argument);
    CHECK_THROWS_AS(PacketStore(100, 1), std::invalid_argument);
    CHECK_THROWS_AS(PacketStore(65536, 1), std::invalid_argument);
}

TEST_CASE("a NACK's PID and BLP name the lost packets, at most the limit, and a cut entry is ignored", "[router]")
{
    std::vector<std::uint16_t> asked;
    const auto collect = [&asked](std::uint16_t sequence) { asked.push_back(sequence); };
    // PID 65534 with bits 0 and 2: 65534, 65535, 1 (wrapping).
    const std::uint8_t one[] = {0xff, 0xfe, 0x00, 0x05};
    CHECK(forEachNackedSequence(one, 64, collect) == 3);
    CHECK(asked == std::vector<std::uint16_t>{65534, 65535, 1});
    // A storm: 100 entries with every bit set asks for 1700 packets; 64 are taken.
    std::vector<std::uint8_t> storm;
    for (int i = 0; i < 100; ++i)
        storm.insert(storm.end(), {0x10, static_cast<std::uint8_t>(i), 0xff, 0xff});
    asked.clear();
    CHECK(forEachNackedSequence(storm, 64, collect) == 64);
    CHECK(asked.size() == 64);
    // Three bytes are no entry.
    asked.clear();
    const std::uint8_t cut[] = {0x00, 0x01, 0x00};
    CHECK(forEachNackedSequence(cut, 64, collect) == 0);
    CHECK(asked.empty());
}
