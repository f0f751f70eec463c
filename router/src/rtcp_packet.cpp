#include <parley/router/rtcp_packet.h>

#include "big_endian.h"

#include <algorithm>

namespace parley::router {
namespace {



// The least size of each packet type we look into.
std::size_t minimumSize(std::uint8_t type, std::uint8_t count)
{
    switch (type) {
    case kRtcpSenderReport:
        return 28 + 24u * count;
    case kRtcpReceiverReport:
        return 8 + 24u * count;
    case kRtcpTransportFeedback:
    case kRtcpPayloadFeedback:
        return 12;
    default:
        return 4;
    }
}

} // namespace

std::uint32_t RtcpView::senderSsrc() const
{
    return bytes.size() >= 8 ? read32(&bytes[4]) : 0;
}

std::uint32_t RtcpView::mediaSsrc() const
{
    const bool feedback = type == kRtcpTransportFeedback || type == kRtcpPayloadFeedback;
    return feedback && bytes.size() >= 12 ? read32(&bytes[8]) : 0;
}

std::optional<RtcpView> nextRtcp(std::span<const std::uint8_t> compound, std::size_t at)
{
    if (at >= compound.size() || compound.size() - at < 4 || (compound[at] >> 6) != 2)
        return std::nullopt;
    const std::size_t length = 4 * (1 + (std::size_t(compound[at + 2]) << 8 | compound[at + 3]));
    if (at + length > compound.size())
        return std::nullopt;
    RtcpView view;
    view.type = compound[at + 1];
    view.count = compound[at] & 0x1f;
    view.bytes = compound.subspan(at, length);
    view.offset = at;
    if (length < minimumSize(view.type, view.count))
        return std::nullopt;
    return view;
}

void writeRtcp32(std::span<std::uint8_t> packet, std::size_t offset, std::uint32_t value)
{
    if (offset + 4 <= packet.size())
        write32(&packet[offset], value);
}

std::size_t writeRtcpPli(std::span<std::uint8_t> out, std::uint32_t senderSsrc, std::uint32_t mediaSsrc)
{
    if (out.size() < 12)
        return 0;
    out[0] = 0x80 | 1; // V=2, FMT=1
    out[1] = kRtcpPayloadFeedback;
    out[2] = 0;
    out[3] = 2; // length in words minus one
    write32(&out[4], senderSsrc);
    write32(&out[8], mediaSsrc);
    return 12;
}

std::size_t writeRtcpFir(std::span<std::uint8_t> out, std::uint32_t senderSsrc, std::uint32_t mediaSsrc,
                         std::uint8_t sequence)
{
    if (out.size() < 20)
        return 0;
    out[0] = 0x80 | 4; // V=2, FMT=4
    out[1] = kRtcpPayloadFeedback;
    out[2] = 0;
    out[3] = 4; // length in words minus one
    write32(&out[4], senderSsrc);
    write32(&out[8], 0); // media source: unused, the FCI names it (RFC 5104 4.3.1.2)
    write32(&out[12], mediaSsrc);
    out[16] = sequence;
    out[17] = out[18] = out[19] = 0;
    return 20;
}

std::size_t writeRtcpNack(std::span<std::uint8_t> out, std::uint32_t senderSsrc, std::uint32_t mediaSsrc,
                          std::span<const std::uint8_t> fci)
{
    const auto length = 12 + fci.size();
    // The length field counts 32-bit words minus one in 16 bits.
    if (fci.empty() || fci.size() % 4 != 0 || out.size() < length || length / 4 - 1 > 0xFFFF)
        return 0;
    out[0] = 0x80 | 1; // V=2, FMT=1 (generic NACK)
    out[1] = kRtcpTransportFeedback;
    out[2] = static_cast<std::uint8_t>((length / 4 - 1) >> 8);
    out[3] = static_cast<std::uint8_t>(length / 4 - 1);
    write32(&out[4], senderSsrc);
    write32(&out[8], mediaSsrc);
    std::copy(fci.begin(), fci.end(), out.begin() + 12);
    return length;
}

std::optional<ReportBlock> reportBlock(const RtcpView& packet, std::size_t index)
{
    std::size_t first = 0;
    if (packet.type == kRtcpReceiverReport)
        first = 8;
    else if (packet.type == kRtcpSenderReport)
        first = 28;
    else
        return std::nullopt;
    const std::size_t at = first + 24 * index;
    if (index >= packet.count || packet.bytes.size() < at + 24)
        return std::nullopt;
    const auto* b = packet.bytes.data() + at;
    const auto word = [b](std::size_t offset) { return read32(b + offset); };
    ReportBlock block;
    block.ssrc = word(0);
    block.fractionLost = b[4];
    block.cumulativeLost = word(4) & 0xffffff;
    block.highestSequence = word(8);
    block.jitter = word(12);
    block.lastSenderReport = word(16);
    block.delaySinceSenderReport = word(20);
    return block;
}

std::size_t writeRtcpReceiverReport(std::span<std::uint8_t> out, std::uint32_t senderSsrc,
                                    std::span<const ReportBlock> blocks)
{
    const std::size_t length = 8 + 24 * blocks.size();
    if (blocks.size() > 31 || out.size() < length)
        return 0;
    out[0] = static_cast<std::uint8_t>(0x80 | blocks.size());
    out[1] = kRtcpReceiverReport;
    out[2] = static_cast<std::uint8_t>((length / 4 - 1) >> 8);
    out[3] = static_cast<std::uint8_t>(length / 4 - 1);
    write32(&out[4], senderSsrc);
    std::size_t at = 8;
    for (const auto& block : blocks) {
        write32(&out[at], block.ssrc);
        write32(&out[at + 4], std::uint32_t(block.fractionLost) << 24 | (block.cumulativeLost & 0xffffff));
        write32(&out[at + 8], block.highestSequence);
        write32(&out[at + 12], block.jitter);
        write32(&out[at + 16], block.lastSenderReport);
        write32(&out[at + 20], block.delaySinceSenderReport);
        at += 24;
    }
    return length;
}

std::optional<SenderInfo> senderInfo(const RtcpView& packet)
{
    if (packet.type != kRtcpSenderReport || packet.bytes.size() < 28)
        return std::nullopt;
    const auto* b = packet.bytes.data();
    const auto read = [b](std::size_t at) {
        return std::uint32_t(b[at]) << 24 | std::uint32_t(b[at + 1]) << 16 | std::uint32_t(b[at + 2]) << 8 | b[at + 3];
    };
    return SenderInfo{read(4), std::uint64_t{read(8)} << 32 | read(12), read(16), read(20), read(24)};
}

std::size_t writeRtcpSenderReport(std::span<std::uint8_t> out, const SenderInfo& info)
{
    constexpr std::size_t kLength = 28;
    if (out.size() < kLength)
        return 0;
    out[0] = 0x80; // version 2, no padding, no report blocks
    out[1] = kRtcpSenderReport;
    out[2] = 0;
    out[3] = kLength / 4 - 1;
    write32(&out[4], info.ssrc);
    write32(&out[8], static_cast<std::uint32_t>(info.ntp >> 32));
    write32(&out[12], static_cast<std::uint32_t>(info.ntp));
    write32(&out[16], info.rtpTimestamp);
    write32(&out[20], info.packetCount);
    write32(&out[24], info.octetCount);
    return kLength;
}

} // namespace parley::router
