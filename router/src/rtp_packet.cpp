#include <parley/router/rtp_packet.h>

#include "big_endian.h"

namespace parley::router {

bool parseRtp(std::span<const std::uint8_t> packet, RtpView& view)
{
    view = RtpView{};
    if (packet.size() < 12 || (packet[0] >> 6) != 2)
        return false;
    const bool padding = packet[0] & 0x20;
    const bool extension = packet[0] & 0x10;
    const std::size_t csrcCount = packet[0] & 0x0f;
    view.marker = packet[1] & 0x80;
    view.payloadType = packet[1] & 0x7f;
    view.sequence = read16(&packet[2]);
    view.timestamp = read32(&packet[4]);
    view.ssrc = read32(&packet[8]);
    std::size_t offset = 12 + 4 * csrcCount;
    if (offset > packet.size())
        return false;
    if (extension) {
        if (offset + 4 > packet.size())
            return false;
        view.extensionProfile = read16(&packet[offset]);
        const std::size_t words = read16(&packet[offset + 2]);
        if (offset + 4 + 4 * words > packet.size())
            return false;
        view.extension = packet.subspan(offset + 4, 4 * words);
        offset += 4 + 4 * words;
    }
    std::size_t end = packet.size();
    if (padding) {
        const std::size_t count = packet.back();
        if (count == 0 || offset + count > end)
            return false;
        end -= count;
    }
    view.payloadOffset = offset;
    view.payloadLength = end - offset;
    return true;
}

std::span<const std::uint8_t> RtpView::extensionValue(std::uint8_t id) const
{
    const bool oneByte = extensionProfile == 0xBEDE;
    const bool twoByte = (extensionProfile & 0xFFF0) == 0x1000;
    if ((!oneByte && !twoByte) || id == 0)
        return {};
    std::size_t at = 0;
    while (at < extension.size()) {
        const auto first = extension[at];
        if (first == 0) { // padding between elements
            ++at;
            continue;
        }
        std::size_t elementId = 0, length = 0, header = 0;
        if (oneByte) {
            elementId = first >> 4;
            if (elementId == 15) // reserved: stop parsing (RFC 8285 4.2)
                return {};
            length = (first & 0x0f) + 1u;
            header = 1;
        }
        else {
            if (at + 1 >= extension.size())
                return {};
            elementId = first;
            length = extension[at + 1];
            header = 2;
        }
        if (at + header + length > extension.size())
            return {};
        if (elementId == id)
            return extension.subspan(at + header, length);
        at += header + length;
    }
    return {};
}

std::size_t writeRtpHeader(std::span<std::uint8_t> out, bool marker, std::uint8_t payloadType,
                           std::uint16_t sequence, std::uint32_t timestamp, std::uint32_t ssrc)
{
    out[0] = 0x80;
    out[1] = static_cast<std::uint8_t>((marker ? 0x80 : 0) | (payloadType & 0x7f));
    writeRtpSequence(out, sequence);
    writeRtpTimestamp(out, timestamp);
    writeRtpSsrc(out, ssrc);
    return 12;
}

void writeRtpSsrc(std::span<std::uint8_t> packet, std::uint32_t ssrc)
{
    packet[8] = static_cast<std::uint8_t>(ssrc >> 24);
    packet[9] = static_cast<std::uint8_t>(ssrc >> 16);
    packet[10] = static_cast<std::uint8_t>(ssrc >> 8);
    packet[11] = static_cast<std::uint8_t>(ssrc);
}

void writeRtpSequence(std::span<std::uint8_t> packet, std::uint16_t sequence)
{
    packet[2] = static_cast<std::uint8_t>(sequence >> 8);
    packet[3] = static_cast<std::uint8_t>(sequence);
}

void writeRtpTimestamp(std::span<std::uint8_t> packet, std::uint32_t timestamp)
{
    packet[4] = static_cast<std::uint8_t>(timestamp >> 24);
    packet[5] = static_cast<std::uint8_t>(timestamp >> 16);
    packet[6] = static_cast<std::uint8_t>(timestamp >> 8);
    packet[7] = static_cast<std::uint8_t>(timestamp);
}

void writeRtpPayloadType(std::span<std::uint8_t> packet, std::uint8_t payloadType)
{
    packet[1] = static_cast<std::uint8_t>((packet[1] & 0x80) | (payloadType & 0x7f));
}

} // namespace parley::router
