#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace parley::router {

/// One event a tap carries from the router's worker to a recorder.
struct TapEntry
{
    enum class Kind : std::uint8_t
    {
        TrackAdded,   ///< `text` = "<track id> <label> <codec name> <clock rate>"
        TrackRemoved, ///< the publisher left or stopped the track
        Rtp,          ///< `data` = a plain (decrypted) RTP packet as the publisher sent it
        SenderReport, ///< `ntp` and `rtpTimestamp` of an RTCP sender report
    };
    static constexpr std::size_t kMaxData = 1500;

    Kind kind = Kind::Rtp;
    std::uint16_t track = 0;          ///< index of the track within this tap
    std::uint16_t length = 0;         ///< bytes used in `data`
    std::int64_t arrival = 0;         ///< steady-clock microseconds when the router got it
    std::uint64_t ntp = 0;
    std::uint32_t rtpTimestamp = 0;
    std::array<std::uint8_t, kMaxData> data{};

    std::span<const std::uint8_t> bytes() const { return {data.data(), length}; }
    std::string text() const { return {reinterpret_cast<const char*>(data.data()), length}; }
};

/// A single-producer, single-consumer ring from the router's worker thread (which fills
/// it while forwarding, without locks or allocation) to one recorder thread (which drains
/// it). Sized at construction; when the recorder falls behind, new entries are dropped and
/// counted rather than slowing the router.
class MediaTap
{
public:
    explicit MediaTap(std::size_t capacity = 4096);
    MediaTap(const MediaTap&) = delete;
    MediaTap& operator=(const MediaTap&) = delete;

    // Producer side (the router's worker).
    /// The entry to fill next, or nullptr when the ring is full (the drop is counted).
    TapEntry* claim();
    /// Publishes the entry returned by the last claim().
    void publish();

    // Consumer side (the recorder).
    /// The oldest entry not yet consumed, or nullptr.
    const TapEntry* peek();
    /// Releases the entry returned by peek().
    void consume();

    std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

private:
    std::vector<TapEntry> entries_;
    std::size_t mask_;
    alignas(64) std::atomic<std::size_t> head_{0}; ///< next to write (producer)
    alignas(64) std::atomic<std::size_t> tail_{0}; ///< next to read (consumer)
    std::atomic<std::uint64_t> dropped_{0};
};

} // namespace parley::router
