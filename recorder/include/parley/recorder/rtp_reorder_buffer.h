#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace parley::recorder {

/// Puts one stream's RTP packets back in sequence order before depacketizing, the way a
/// receiver's jitter buffer does, but sized for a recorder: it waits for a missing packet
/// until `patience` later packets have arrived (the NACK round trip), then gives it up.
/// All storage is allocated at construction; push and drain allocate nothing.
class RtpReorderBuffer
{
public:
    /// `slots`: packets held at most (a power of two); `maxPacket`: largest packet kept
    /// (larger ones are dropped and counted as oversized).
    explicit RtpReorderBuffer(std::size_t slots = 256, std::size_t maxPacket = 1500, std::size_t patience = 32);

    /// Delivery of one packet in order. `lostBefore` is true when packets were given up
    /// between this one and the one delivered before it.
    using Deliver = std::function<void(std::span<const std::uint8_t> packet, bool lostBefore)>;

    /// Takes a copy of `packet` (plain RTP) with sequence number `sequence`, and delivers
    /// every packet that is now in order. Duplicates and packets older than the last one
    /// delivered are dropped and counted.
    void push(std::span<const std::uint8_t> packet, std::uint16_t sequence, const Deliver& deliver);

    /// Delivers everything held, in order, giving up the gaps (at the end of a recording).
    void flush(const Deliver& deliver);

    std::uint64_t lost() const { return lost_; }
    std::uint64_t duplicates() const { return duplicates_; }
    std::uint64_t late() const { return late_; }
    std::uint64_t oversized() const { return oversized_; }

private:
    struct Slot
    {
        bool used = false;
        std::uint16_t sequence = 0;
        std::size_t length = 0;
    };

    std::uint8_t* slotData(std::size_t index) { return storage_.data() + index * maxPacket_; }
    void deliverReady(const Deliver& deliver);
    void skipToNextHeld();

    std::size_t mask_;
    std::size_t maxPacket_;
    std::size_t patience_;
    std::vector<Slot> slots_;
    std::vector<std::uint8_t> storage_;
    bool started_ = false;
    std::uint16_t next_ = 0;   ///< the sequence number to deliver next
    std::size_t held_ = 0;
    bool gap_ = false;         ///< packets were given up before `next_`
    std::uint64_t lost_ = 0;
    std::uint64_t duplicates_ = 0;
    std::uint64_t late_ = 0;
    std::uint64_t oversized_ = 0;
};

} // namespace parley::recorder
