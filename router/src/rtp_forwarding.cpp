#include "rtp_forwarding.h"

#include <cstring>

namespace parley::router {
namespace {

constexpr std::size_t kFixedHeaderBytes = 12;
constexpr std::size_t kOriginalSequenceBytes = 2;
constexpr std::uint8_t kExtensionBit = 0x10;
constexpr std::uint8_t kPaddingBit = 0x20;

/// The one-byte-form extension block (RFC 8285 4.2) for the elements `header` carries, at
/// `at`; returns its length (0 without elements).
std::size_t writeExtensions(const CopyHeader& header, std::uint8_t* at)
{
    const CopyExtension* elements[] = {&header.playoutDelay, &header.transportSequence};
    std::size_t body = 0;
    for (const auto* element : elements)
        if (element->id)
            body += 1 + element->length;
    if (body == 0)
        return 0;
    const std::size_t words = (body + 3) / 4;
    at[0] = 0xBE;
    at[1] = 0xDE;
    at[2] = 0;
    at[3] = static_cast<std::uint8_t>(words);
    std::uint8_t* out = at + 4;
    for (const auto* element : elements) {
        if (!element->id)
            continue;
        *out++ = static_cast<std::uint8_t>(element->id << 4 | (element->length - 1));
        for (std::size_t i = 0; i < element->length; ++i)
            *out++ = element->value[i];
    }
    std::memset(out, 0, at + 4 + 4 * words - out); // padding within the block
    return 4 + 4 * words;
}

void writeFixedFields(std::span<std::uint8_t> slot, const CopyHeader& header)
{
    writeRtpSsrc(slot, header.ssrc);
    writeRtpPayloadType(slot, header.payloadType);
    writeRtpSequence(slot, header.sequence);
    writeRtpTimestamp(slot, header.timestamp);
}

} // namespace

std::size_t writeCopy(std::span<const std::uint8_t> packet, const RtpView& view, const CopyHeader& header,
                      SrtpSession& session, std::span<std::uint8_t> slot)
{
    const std::size_t fixedLength = kFixedHeaderBytes + 4 * (packet[0] & 0x0f);
    constexpr std::size_t kMaxExtensionBytes = 4 + 8;
    const std::size_t bodyLength = packet.size() - view.payloadOffset; // payload and padding
    if (fixedLength + kMaxExtensionBytes + kOriginalSequenceBytes + bodyLength + kSrtpMaxTrailer > slot.size())
        return 0;
    std::memcpy(slot.data(), packet.data(), fixedLength);
    const auto extensionLength = writeExtensions(header, slot.data() + fixedLength);
    if (extensionLength)
        slot[0] |= kExtensionBit;
    else
        slot[0] &= static_cast<std::uint8_t>(~kExtensionBit);
    std::size_t at = fixedLength + extensionLength;
    if (header.rtx) {
        slot[at] = static_cast<std::uint8_t>(header.originalSequence >> 8);
        slot[at + 1] = static_cast<std::uint8_t>(header.originalSequence);
        at += kOriginalSequenceBytes;
    }
    std::memcpy(slot.data() + at, packet.data() + view.payloadOffset, bodyLength);
    if (header.vp8)
        rewriteVp8Descriptor(slot.subspan(at, view.payloadLength), *header.vp8, header.pictureId, header.tl0PicIdx);
    writeFixedFields(slot, header);
    return session.protectRtp(slot.data(), at + bodyLength, slot.size());
}

std::size_t writePaddingPacket(const CopyHeader& header, std::size_t paddingBytes, SrtpSession& session,
                               std::span<std::uint8_t> slot)
{
    if (paddingBytes == 0 || paddingBytes > 255 || kFixedHeaderBytes + 12 + paddingBytes + kSrtpMaxTrailer > slot.size())
        return 0;
    std::memset(slot.data(), 0, kFixedHeaderBytes);
    slot[0] = 0x80 | kPaddingBit; // version 2
    const auto extensionLength = writeExtensions(header, slot.data() + kFixedHeaderBytes);
    if (extensionLength)
        slot[0] |= kExtensionBit;
    const std::size_t at = kFixedHeaderBytes + extensionLength;
    std::memset(slot.data() + at, 0, paddingBytes - 1);
    slot[at + paddingBytes - 1] = static_cast<std::uint8_t>(paddingBytes);
    writeFixedFields(slot, header);
    return session.protectRtp(slot.data(), at + paddingBytes, slot.size());
}

} // namespace parley::router
