#pragma once

#include "rtp_forwarding.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

namespace parley::router {

struct Publication;

/// Spreads the video one subscriber receives over time, at a multiple of its send-side
/// estimate (a leaky bucket, as libwebrtc's pacer does): a keyframe is tens of packets at
/// once, and sent in one burst it overflows the queue of a narrow link, where the packets
/// are lost and asked for again. Audio, resends and probes leave at once but spend the same
/// budget, so video behind them waits.
///
/// A waiting packet is a reference into the router's packet store (publication, layer,
/// the publisher's sequence number) with the header its copy will carry; it is protected
/// when it leaves, in order. No packet waits longer than kMaxWaitMicros: where the estimate
/// is too low for what waits, the queue drains faster, to be empty by then. Pacing smooths
/// bursts; it does not throttle a stream (choosing layers does). Fixed size, no allocation;
/// used on the worker thread only.
class Pacer
{
public:
    /// Pacing rate over the estimate (libwebrtc's factor): room for bursts above the mean.
    static constexpr double kPacingFactor = 2.5;
    /// Pacing rate over what the subscriber is sent at least: a stream with no lower layer
    /// to fall back to (one camera layer, a screen) is smoothed, not held back, while the
    /// estimate is below it.
    static constexpr double kMediaFactor = 1.5;
    static constexpr std::size_t kCapacity = 256;
    static constexpr std::int64_t kMaxWaitMicros = 250'000;
    /// The drain rate aims this far ahead at least, as the oldest nears kMaxWaitMicros.
    static constexpr std::int64_t kMinTimeLeftMicros = 10'000;
    /// Unspent budget is kept for this long at most (two pacing ticks: a burst after a quiet
    /// spell), and at least one full-size packet's worth.
    static constexpr std::int64_t kBurstMicros = 10'000;
    static constexpr double kMinBurstBytes = 1'500;

    /// A packet waiting to be copied to the subscriber.
    struct Entry
    {
        Publication* publication = nullptr;
        std::uint32_t sourceSsrc = 0;      ///< the layer's SSRC when it was queued
        std::uint16_t sourceSequence = 0;  ///< the publisher's sequence number, to find it in the store
        std::uint8_t layer = 0;
        std::uint16_t bytes = 0;
        std::uint16_t payloadBytes = 0; ///< as counted for the copy's sender reports
        std::int64_t queuedAt = 0;
        CopyHeader header; ///< its vp8 pointer is not kept: the descriptor is read again
    };

    /// The pacing rate for a subscriber with estimate `estimateBps` that is sent
    /// `forwardedBps` now: kPacingFactor times the one, at least kMediaFactor times the other.
    static std::uint64_t rateFor(std::uint32_t estimateBps, std::uint64_t forwardedBps)
    {
        return static_cast<std::uint64_t>(
            std::max(kPacingFactor * double(estimateBps), kMediaFactor * double(forwardedBps)));
    }

    /// The pacing rate in bits per second; 0 (the start) paces nothing.
    void setRate(std::uint64_t bitsPerSecond) { rate_ = bitsPerSecond; }

    /// Whether video to send at `nowMicros` must wait: something waits already (order is
    /// kept), or the budget is spent.
    bool mustWait(std::int64_t nowMicros);
    /// `bytes` left for the subscriber at `nowMicros`, paced or not.
    void onSent(std::size_t bytes, std::int64_t nowMicros);

    bool empty() const { return count_ == 0; }
    bool full() const { return count_ == kCapacity; }
    std::size_t size() const { return count_; }

    /// Queues `entry` behind the others; the caller makes room first (full()).
    void push(const Entry& entry);
    /// The oldest waiting entry if it may leave at `nowMicros` (budget left, or it waited
    /// kMaxWaitMicros), else null. The caller sends it and pops it.
    const Entry* due(std::int64_t nowMicros);
    const Entry& front() const { return ring_[head_]; }
    void pop();

    /// Drops what waits of `publication` (its copy under `copySsrc` only, unless that is 0):
    /// the publication or subscription ends.
    void forget(const Publication* publication, std::uint32_t copySsrc = 0);

    /// Whether the copy under `copySsrc` with our sequence number `copySequence` waits here
    /// (a NACK for it needs no resend: it is on its way).
    bool holds(std::uint32_t copySsrc, std::uint16_t copySequence) const;

private:
    void refill(std::int64_t nowMicros);

    std::array<Entry, kCapacity> ring_{};
    std::size_t head_ = 0;
    std::size_t count_ = 0;
    std::uint64_t queuedBytes_ = 0;
    std::uint64_t rate_ = 0;
    double budget_ = kMinBurstBytes; ///< bytes; below zero after a packet larger than what was left
    std::int64_t last_ = 0;
};

} // namespace parley::router
