#include "packet_sender.h"

#include "rtp_forwarding.h"

#include <parley/router/rtx_packet.h>

#include <cstring>

namespace parley::router {

void PacketSender::sendRaw(Participant& to, std::span<const std::uint8_t> datagram)
{
    if (!to.selected || datagram.size() > SendBatch::kSlotBytes)
        return;
    auto slot = batch_.slot();
    std::memcpy(slot.data(), datagram.data(), datagram.size());
    batch_.commit(datagram.size(), *to.selected);
    to.out.add(datagram.size());
}

void PacketSender::sendRtcp(Participant& to, std::span<const std::uint8_t> plain)
{
    if (!to.reachable() || plain.size() + kSrtpMaxTrailer > SendBatch::kSlotBytes)
        return;
    auto slot = batch_.slot();
    std::memcpy(slot.data(), plain.data(), plain.size());
    const auto length = to.outbound->protectRtcp(slot.data(), plain.size(), slot.size());
    if (length) {
        batch_.commit(length, *to.selected);
        to.out.add(length);
    }
}

bool PacketSender::sendRtp(Participant& to, std::span<const std::uint8_t> packet, const RtpView& view,
                           std::uint32_t ssrc, std::uint8_t payloadType, const CopyExtension& extension)
{
    if (!to.reachable())
        return false;
    auto slot = batch_.slot();
    const auto length = writeForwardedCopy(packet, view, ssrc, payloadType, *to.outbound, slot, extension);
    if (length == 0)
        return false;
    batch_.commit(length, *to.selected);
    to.out.add(length);
    return true;
}

bool PacketSender::sendRtx(Participant& to, std::span<const std::uint8_t> packet, const RtpView& view,
                           std::uint32_t ssrc, std::uint8_t payloadType, std::uint16_t sequence)
{
    if (!to.reachable())
        return false;
    auto slot = batch_.slot();
    const auto length = writeRtxCopy(packet, view, ssrc, payloadType, sequence, *to.outbound, slot);
    if (length == 0)
        return false;
    batch_.commit(length, *to.selected);
    to.out.add(length);
    return true;
}

} // namespace parley::router
