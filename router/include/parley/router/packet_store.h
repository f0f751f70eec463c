#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace parley::router {

/// The recent packets of one published stream, decrypted, so the router answers a
/// subscriber's NACK itself (RFC 4585) instead of asking the publisher again. One copy per
/// received packet whatever the number of subscribers; bounded by count (a ring indexed by
/// sequence number) and by age. All memory is taken at construction; storing and finding
/// allocate nothing. Not thread-safe (one worker).
class PacketStore
{
public:
    /// The largest packet kept (bigger ones, which the router does not forward either, are not).
    static constexpr std::size_t kMaxPacketBytes = 1500;

    /// Keeps up to `capacity` packets (a power of two, at most 32768) for `maxAgeMicros`.
    PacketStore(std::size_t capacity, std::int64_t maxAgeMicros);

    /// Keeps `packet` (sequence number `sequence`, arrived at `arrivalMicros`), replacing
    /// whatever had its place in the ring.
    void store(std::uint16_t sequence, std::span<const std::uint8_t> packet, std::int64_t arrivalMicros);

    /// The packet with `sequence` if it is kept and not older than the age bound at
    /// `nowMicros`; empty otherwise. Valid until the next store().
    std::span<const std::uint8_t> find(std::uint16_t sequence, std::int64_t nowMicros) const;

    std::size_t capacity() const { return slots_.size(); }

private:
    struct Slot
    {
        std::int64_t arrival = 0;
        std::uint16_t sequence = 0;
        std::uint16_t length = 0; ///< 0: empty
        std::array<std::uint8_t, kMaxPacketBytes> bytes{};
    };

    std::vector<Slot> slots_;
    std::int64_t maxAge_;
};

/// Calls `visit(sequence)` for every sequence number a generic NACK (RFC 4585 6.2.1, RTPFB
/// FMT 1) asks for: each FCI entry's PID and the ones its BLP bitmask marks, at most
/// `limit` of them (a hostile NACK may list thousands). `fci` is the packet after its
/// 12-byte header. Returns how many were visited; a trailing partial entry is ignored.
template <typename Visit>
std::size_t forEachNackedSequence(std::span<const std::uint8_t> fci, std::size_t limit, Visit&& visit)
{
    std::size_t visited = 0;
    for (std::size_t at = 0; at + 4 <= fci.size() && visited < limit; at += 4) {
        const auto pid = static_cast<std::uint16_t>(fci[at] << 8 | fci[at + 1]);
        const auto blp = static_cast<std::uint16_t>(fci[at + 2] << 8 | fci[at + 3]);
        visit(pid);
        ++visited;
        for (int bit = 0; bit < 16 && visited < limit; ++bit)
            if (blp & (1u << bit)) {
                visit(static_cast<std::uint16_t>(pid + bit + 1));
                ++visited;
            }
    }
    return visited;
}

} // namespace parley::router
