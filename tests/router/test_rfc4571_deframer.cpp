#include <parley/router/rfc4571_deframer.h>

#include <catch2/catch.hpp>

#include <vector>

using namespace parley::router;
using Bytes = std::vector<std::uint8_t>;

namespace {

std::vector<Bytes> push(Rfc4571Deframer& deframer, const Bytes& bytes, bool& good)
{
    std::vector<Bytes> frames;
    good = deframer.push(bytes, [&](std::span<std::uint8_t> frame) { frames.emplace_back(frame.begin(), frame.end()); });
    return frames;
}

} // namespace

TEST_CASE("RFC 4571: frames come out whole however the stream is cut")
{
    const Bytes stream{0, 3, 'a', 'b', 'c', 0, 1, 'x', 0, 2, 'y', 'z'};
    // In one piece: three frames.
    Rfc4571Deframer whole;
    bool good = false;
    const auto frames = push(whole, stream, good);
    CHECK(good);
    CHECK(frames == std::vector<Bytes>{{'a', 'b', 'c'}, {'x'}, {'y', 'z'}});
    // Byte by byte: the same frames, each when its last byte came.
    Rfc4571Deframer bytewise;
    std::vector<Bytes> collected;
    for (const auto byte : stream)
        for (auto& frame : push(bytewise, Bytes{byte}, good))
            collected.push_back(frame);
    CHECK(collected == frames);
}

TEST_CASE("RFC 4571: an empty or oversized frame makes the stream bad, and it stays bad")
{
    Rfc4571Deframer empty;
    bool good = true;
    CHECK(push(empty, {0, 1, 'a', 0, 0, 0, 1, 'b'}, good) == std::vector<Bytes>{{'a'}});
    CHECK_FALSE(good);
    CHECK(push(empty, {0, 1, 'c'}, good).empty());
    CHECK_FALSE(good);

    Rfc4571Deframer oversize;
    const auto big = Rfc4571Deframer::kMaxFrame + 1;
    CHECK(push(oversize, {static_cast<std::uint8_t>(big >> 8), static_cast<std::uint8_t>(big)}, good).empty());
    CHECK_FALSE(good);
    // The largest allowed frame passes.
    Rfc4571Deframer largest;
    Bytes frame{static_cast<std::uint8_t>(Rfc4571Deframer::kMaxFrame >> 8),
                static_cast<std::uint8_t>(Rfc4571Deframer::kMaxFrame)};
    frame.resize(2 + Rfc4571Deframer::kMaxFrame, 7);
    CHECK(push(largest, frame, good).size() == 1);
    CHECK(good);
}
