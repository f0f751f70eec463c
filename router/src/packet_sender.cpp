#include "packet_sender.h"

#include "rtp_forwarding.h"


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

void PacketSender::stampTransportSequence(Participant& to, CopyHeader& header)
{
    if (!to.estimator || to.twccSendExtensionId == 0)
        return;
    const auto sequence = to.estimator->nextSequence();
    header.transportSequence = {to.twccSendExtensionId, 2,
                                {static_cast<std::uint8_t>(sequence >> 8), static_cast<std::uint8_t>(sequence), 0}};
}

void PacketSender::commitMedia(Participant& to, std::size_t length, bool probe)
{
    batch_.commit(length, *to.selected);
    to.out.add(length);
    if (to.estimator && to.twccSendExtensionId != 0)
        to.estimator->onSent(length, now_, probe);
    if (to.pacer)
        to.pacer->onSent(length, now_);
}

bool PacketSender::sendCopy(Participant& to, std::span<const std::uint8_t> packet, const RtpView& view,
                            CopyHeader header)
{
    if (!to.reachable())
        return false;
    stampTransportSequence(to, header);
    auto slot = batch_.slot();
    const auto length = writeCopy(packet, view, header, *to.outbound, slot);
    if (length == 0)
        return false;
    commitMedia(to, length, false);
    return true;
}

bool PacketSender::sendPadding(Participant& to, CopyHeader header, std::size_t bytes)
{
    if (!to.reachable())
        return false;
    stampTransportSequence(to, header);
    auto slot = batch_.slot();
    const auto length = writePaddingPacket(header, bytes, *to.outbound, slot);
    if (length == 0)
        return false;
    commitMedia(to, length, true);
    return true;
}

} // namespace parley::router
