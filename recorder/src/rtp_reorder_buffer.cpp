#include <parley/recorder/rtp_reorder_buffer.h>

#include <cstring>
#include <stdexcept>

namespace parley::recorder {

RtpReorderBuffer::RtpReorderBuffer(std::size_t slots, std::size_t maxPacket, std::size_t patience)
    : mask_(slots - 1), maxPacket_(maxPacket), patience_(patience), slots_(slots), storage_(slots * maxPacket)
{
    if (slots < 2 || (slots & (slots - 1)) != 0 || slots > 32768)
        throw std::invalid_argument("the reorder buffer needs a power of two of slots, at most 32768");
    if (patience == 0 || patience >= slots)
        throw std::invalid_argument("the reorder buffer's patience must be below its size");
}

void RtpReorderBuffer::push(std::span<const std::uint8_t> packet, std::uint16_t sequence, const Deliver& deliver)
{
    if (packet.size() > maxPacket_) {
        ++oversized_;
        return;
    }
    if (!started_) {
        started_ = true;
        next_ = sequence;
    }
    // Distance from the next packet due, in sequence space (wraps at 65536).
    const auto ahead = static_cast<std::int16_t>(static_cast<std::uint16_t>(sequence - next_));
    if (ahead < 0) {
        ++late_;
        return;
    }
    if (static_cast<std::size_t>(ahead) > mask_) {
        // Far ahead of everything held (a long loss, or the sender restarted its numbering):
        // deliver what is held and continue from here.
        flush(deliver);
        lost_ += static_cast<std::uint16_t>(sequence - next_);
        next_ = sequence;
        gap_ = true;
    }
    Slot& slot = slots_[sequence & mask_];
    if (slot.used) {
        ++duplicates_;
        return;
    }
    slot.used = true;
    slot.sequence = sequence;
    slot.length = packet.size();
    std::memcpy(slotData(sequence & mask_), packet.data(), packet.size());
    ++held_;
    deliverReady(deliver);
    // Waited long enough for the missing packet: give it up.
    while (held_ >= patience_) {
        skipToNextHeld();
        deliverReady(deliver);
    }
}

void RtpReorderBuffer::flush(const Deliver& deliver)
{
    while (held_ > 0) {
        skipToNextHeld();
        deliverReady(deliver);
    }
}

void RtpReorderBuffer::deliverReady(const Deliver& deliver)
{
    for (;;) {
        Slot& slot = slots_[next_ & mask_];
        if (!slot.used || slot.sequence != next_)
            return;
        slot.used = false;
        --held_;
        const bool lostBefore = gap_;
        gap_ = false;
        const std::uint16_t delivered = next_;
        ++next_;
        deliver({slotData(delivered & mask_), slot.length}, lostBefore);
    }
}

void RtpReorderBuffer::skipToNextHeld()
{
    for (std::size_t step = 0; step <= mask_; ++step) {
        const Slot& slot = slots_[next_ & mask_];
        if (slot.used && slot.sequence == next_)
            return;
        ++next_;
        ++lost_;
        gap_ = true;
    }
}

} // namespace parley::recorder
