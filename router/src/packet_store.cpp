#include <parley/router/packet_store.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace parley::router {

PacketStore::PacketStore(std::size_t capacity, std::int64_t maxAgeMicros) : maxAge_(maxAgeMicros)
{
    if (capacity == 0 || capacity > 32768 || (capacity & (capacity - 1)) != 0)
        throw std::invalid_argument("a packet store holds a power of two packets, at most 32768");
    slots_.resize(capacity);
}

void PacketStore::store(std::uint16_t sequence, std::span<const std::uint8_t> packet, std::int64_t arrivalMicros)
{
    auto& slot = slots_[sequence & (slots_.size() - 1)];
    if (packet.empty() || packet.size() > kMaxPacketBytes) {
        slot.length = 0; // whatever was there is not this sequence number's packet
        return;
    }
    slot.arrival = arrivalMicros;
    slot.sequence = sequence;
    slot.length = static_cast<std::uint16_t>(packet.size());
    std::memcpy(slot.bytes.data(), packet.data(), packet.size());
}

std::span<const std::uint8_t> PacketStore::find(std::uint16_t sequence, std::int64_t nowMicros) const
{
    const auto& slot = slots_[sequence & (slots_.size() - 1)];
    if (slot.length == 0 || slot.sequence != sequence || nowMicros - slot.arrival > maxAge_)
        return {};
    return {slot.bytes.data(), slot.length};
}

} // namespace parley::router
