#pragma once

// What every harness needs besides its target: a reader that takes fields off the front of
// the fuzzer's bytes (libFuzzer's FuzzedDataProvider is clang's only, and the harnesses also
// build with GCC for replaying), and a check that stops the run with a message.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

namespace parley::fuzz {

/// Fails the run: libFuzzer keeps the input as a crash, the replay test fails.
[[noreturn]] inline void fail(const char* what)
{
    std::fprintf(stderr, "fuzz check failed: %s\n", what);
    std::abort();
}

inline void require(bool condition, const char* what)
{
    if (!condition)
        fail(what);
}

/// Takes values off the front of the input; past its end everything reads as zero and
/// empty, so a harness never reads outside the input.
class InputReader
{
public:
    InputReader(const std::uint8_t* data, std::size_t size) : rest_(data, size) {}

    std::uint8_t byte()
    {
        if (rest_.empty())
            return 0;
        const auto value = rest_.front();
        rest_ = rest_.subspan(1);
        return value;
    }
    // Each read in its own statement: the order of two calls in one expression is
    // unspecified, and GCC's replay build must decode an input as clang's fuzz build did.
    std::uint16_t u16()
    {
        const auto high = byte();
        const auto low = byte();
        return static_cast<std::uint16_t>(high << 8 | low);
    }
    std::uint32_t u32()
    {
        const std::uint32_t high = u16();
        const std::uint32_t low = u16();
        return high << 16 | low;
    }
    bool flag() { return byte() & 1; }

    /// Up to `count` bytes (fewer at the end of the input).
    std::span<const std::uint8_t> bytes(std::size_t count)
    {
        const auto taken = rest_.first(count < rest_.size() ? count : rest_.size());
        rest_ = rest_.subspan(taken.size());
        return taken;
    }
    /// A piece whose length (two bytes) comes first.
    std::span<const std::uint8_t> piece() { return bytes(u16()); }
    std::span<const std::uint8_t> rest()
    {
        const auto all = rest_;
        rest_ = {};
        return all;
    }
    bool empty() const { return rest_.empty(); }

private:
    std::span<const std::uint8_t> rest_;
};

/// One packet of the depacketizer harnesses' input, which is a run of them: a flags byte
/// (1: marker, 2: packets were lost before it, 4: a new frame's timestamp), then a payload
/// whose length (two bytes) comes first.
struct FuzzedPacket
{
    std::span<const std::uint8_t> payload;
    std::uint32_t timestamp = 0;
    bool marker = false;
    bool lostBefore = false;
};

template <typename Visit>
void forEachFuzzedPacket(InputReader& input, Visit&& visit)
{
    std::uint32_t timestamp = 90000;
    while (!input.empty()) {
        const auto flags = input.byte();
        if (flags & 0x04)
            timestamp += 3000;
        const auto payload = input.piece();
        visit(FuzzedPacket{payload, timestamp, (flags & 0x01) != 0, (flags & 0x02) != 0});
    }
}

inline std::string_view text(std::span<const std::uint8_t> bytes)
{
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

/// Whether `inner` lies within `outer` (a parser's views must not leave its input).
template <typename A, typename B>
bool within(std::span<A> inner, std::span<B> outer)
{
    const auto* first = reinterpret_cast<const std::uint8_t*>(inner.data());
    const auto* begin = reinterpret_cast<const std::uint8_t*>(outer.data());
    return inner.empty() || (first >= begin && first + inner.size_bytes() <= begin + outer.size_bytes());
}

} // namespace parley::fuzz
