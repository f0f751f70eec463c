#include <parley/recorder/rtp_reorder_buffer.h>

#include <catch2/catch.hpp>

#include <vector>

using parley::recorder::RtpReorderBuffer;

namespace {

struct Delivered
{
    std::uint16_t sequence;
    bool lostBefore;
};

/// A packet whose bytes are its own sequence number, so a delivery can be checked.
std::vector<std::uint8_t> packet(std::uint16_t sequence)
{
    return {static_cast<std::uint8_t>(sequence >> 8), static_cast<std::uint8_t>(sequence)};
}

struct Harness
{
    RtpReorderBuffer buffer;
    std::vector<Delivered> delivered;

    explicit Harness(std::size_t slots = 16, std::size_t patience = 4) : buffer(slots, 1500, patience) {}

    void push(std::uint16_t sequence)
    {
        const auto bytes = packet(sequence);
        buffer.push(bytes, sequence, [this](std::span<const std::uint8_t> p, bool lost) {
            delivered.push_back({static_cast<std::uint16_t>(p[0] << 8 | p[1]), lost});
        });
    }
    std::vector<std::uint16_t> sequences() const
    {
        std::vector<std::uint16_t> out;
        for (const auto& d : delivered)
            out.push_back(d.sequence);
        return out;
    }
};

} // namespace

TEST_CASE("reordered packets come out in sequence order", "[recorder]")
{
    Harness h;
    for (std::uint16_t s : {100, 102, 101, 104, 103, 105})
        h.push(s);
    CHECK(h.sequences() == std::vector<std::uint16_t>{100, 101, 102, 103, 104, 105});
    CHECK(h.buffer.lost() == 0);
    for (const auto& d : h.delivered)
        CHECK(!d.lostBefore);
}

TEST_CASE("a missing packet is given up after the patience, and the gap is flagged", "[recorder]")
{
    Harness h(16, 4);
    h.push(1);
    for (std::uint16_t s : {3, 4, 5})
        h.push(s);
    CHECK(h.sequences() == std::vector<std::uint16_t>{1}); // still waiting for 2
    h.push(6); // fourth packet held: 2 is given up
    CHECK(h.sequences() == std::vector<std::uint16_t>{1, 3, 4, 5, 6});
    CHECK(h.delivered[1].lostBefore);
    CHECK(!h.delivered[2].lostBefore);
    CHECK(h.buffer.lost() == 1);
    h.push(2); // too late now
    CHECK(h.buffer.late() == 1);
    CHECK(h.sequences().size() == 5);
}

TEST_CASE("sequence numbers wrap at 65536, and duplicates and huge jumps are handled", "[recorder]")
{
    Harness h(16, 4);
    for (std::uint16_t s : {65534, 0, 65535, 1})
        h.push(s);
    CHECK(h.sequences() == std::vector<std::uint16_t>{65534, 65535, 0, 1});
    h.push(1);
    CHECK(h.buffer.duplicates() == 0); // already delivered: counted as late
    CHECK(h.buffer.late() == 1);
    h.push(3);
    h.push(3);
    CHECK(h.buffer.duplicates() == 1);
    // A jump far beyond the buffer (a sender restart): what is held goes out, then the new run.
    h.push(30000);
    h.push(30001);
    CHECK(h.sequences() == std::vector<std::uint16_t>{65534, 65535, 0, 1, 3, 30000, 30001});
    CHECK(h.delivered[4].lostBefore);
    CHECK(h.delivered[5].lostBefore);
}

TEST_CASE("flush delivers what is held, and oversized packets and bad sizes are refused", "[recorder]")
{
    Harness h(16, 8);
    for (std::uint16_t s : {10, 12, 14})
        h.push(s);
    h.buffer.flush([&](std::span<const std::uint8_t> p, bool lost) {
        h.delivered.push_back({static_cast<std::uint16_t>(p[0] << 8 | p[1]), lost});
    });
    CHECK(h.sequences() == std::vector<std::uint16_t>{10, 12, 14});
    CHECK(h.buffer.lost() == 2);

    RtpReorderBuffer small(16, 100, 4);
    std::vector<std::uint8_t> big(101);
    int calls = 0;
    small.push(big, 1, [&](auto, bool) { ++calls; });
    CHECK(calls == 0);
    CHECK(small.oversized() == 1);
    CHECK_THROWS_AS(RtpReorderBuffer(12, 1500, 4), std::invalid_argument);
    CHECK_THROWS_AS(RtpReorderBuffer(16, 1500, 16), std::invalid_argument);
}
