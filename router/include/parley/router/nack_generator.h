#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace parley::router {

/// Which packets of one incoming stream the router asks the publisher to send again
/// (RFC 4585 generic NACK): every sequence number skipped on the way in is asked for at
/// once, again each round trip while it is missing, and given up after kMaxRetries. A gap
/// too large to repair (more than kMaxMissing packets) is given up whole and reported so a
/// keyframe can be asked for instead. Memory is taken at construction; nothing allocates
/// afterwards. Times in microseconds on one steady clock. Not thread-safe (one worker).
class NackGenerator
{
public:
    /// Missing packets tracked at most; a larger gap is not repaired packet by packet.
    static constexpr std::size_t kMaxMissing = 256;
    /// Times a packet is asked for before the router gives up on it.
    static constexpr int kMaxRetries = 10;
    /// The first request is repeated this soon, not a round trip later: a lost NACK would
    /// otherwise cost a whole round trip, which is a visible freeze. A sender ignores a
    /// request for a packet it resent less than a round trip ago, so the repeat costs no
    /// second resend when the first request arrived.
    static constexpr std::int64_t kRepeatMicros = 20'000;
    /// A retry waits a round trip and this much more after the previous try: a sender
    /// ignores a request that comes less than its round trip after it resent the packet.
    static constexpr std::int64_t kRetryMarginMicros = 20'000;

    NackGenerator();

    enum class Arrival
    {
        InOrder,        ///< the next packet, or a duplicate
        Gap,            ///< packets were skipped: there is something to ask for now
        Recovered,      ///< a packet that was being asked for
        KeyframeNeeded, ///< a gap too large: given up, a keyframe repairs it
    };

    /// A packet with `sequence` arrived at `nowMicros` (call only for packets the stream
    /// accepted). For a Recovered packet, lastRepairMicros() then says how long it took.
    Arrival onPacket(std::uint16_t sequence, std::int64_t nowMicros = 0);

    /// How many packets the last Gap or KeyframeNeeded arrival skipped.
    std::size_t lastSkipped() const { return lastSkipped_; }

    /// From the first request for the last recovered packet to its arrival.
    std::int64_t lastRepairMicros() const { return lastRepair_; }

    /// Writes the FCI entries (PID and BLP, 4 bytes each) of one NACK for every missing
    /// packet due at `nowMicros`: never asked for, asked for once kRepeatMicros ago or more
    /// (the repeat), or last tried `retryMicros` (a round trip) + kRetryMarginMicros ago.
    /// Returns the bytes written (0: nothing due); `fci` holds at most its size / 4 entries,
    /// the rest stay due. Packets asked for kMaxRetries times are dropped from the list.
    std::size_t collect(std::int64_t nowMicros, std::int64_t retryMicros, std::span<std::uint8_t> fci);

    /// Forgets everything (a new stream, or a restart of its sequence numbers).
    void reset();

    std::size_t missing() const { return missing_.size(); }
    std::uint64_t asked() const { return asked_; }         ///< sequence numbers asked for, retries included
    std::uint64_t recovered() const { return recovered_; } ///< missing packets that came
    std::uint64_t givenUp() const { return givenUp_; }     ///< missing packets never repaired

private:
    struct Missing
    {
        std::uint16_t sequence;
        std::uint8_t retries;   ///< requests sent, the repeat included
        std::int64_t askedAt;   ///< the last request, 0: not asked yet
        std::int64_t triedAt;   ///< the last request that was not the repeat
        std::int64_t firstAt;   ///< the first request
    };

    std::vector<Missing> missing_; ///< ascending in sequence order (serial arithmetic)
    bool started_ = false;
    std::uint16_t highest_ = 0;
    std::uint64_t asked_ = 0;
    std::uint64_t recovered_ = 0;
    std::uint64_t givenUp_ = 0;
    std::int64_t lastRepair_ = 0;
    std::size_t lastSkipped_ = 0;
};

} // namespace parley::router
