#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace parley::router {

/// The fixed header of an RTP packet (RFC 3550 5.1) and where its parts lie, as a view over
/// the packet's bytes. Parsing validates every length against the buffer, so later reads
/// through the view never leave it.
struct RtpView
{
    bool marker = false;
    std::uint8_t payloadType = 0;
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    std::uint32_t ssrc = 0;
    std::uint16_t extensionProfile = 0;            ///< 0 when there is no extension
    std::span<const std::uint8_t> extension;       ///< the extension's data words
    std::size_t payloadOffset = 0;
    std::size_t payloadLength = 0;                 ///< padding excluded

    /// The value of header extension `id` (RFC 8285, one-byte 0xBEDE or two-byte 0x100X form),
    /// or an empty span when absent.
    std::span<const std::uint8_t> extensionValue(std::uint8_t id) const;
};

/// Parses an RTP packet (version 2). False for anything truncated or inconsistent: CSRC list,
/// extension or padding longer than the packet, padding count of zero.
bool parseRtp(std::span<const std::uint8_t> packet, RtpView& view);

/// The fixed 12-byte header of a packet a client of the router makes (version 2, no padding,
/// extension or CSRC): what it writes into `out` (at least 12 bytes); returns 12.
std::size_t writeRtpHeader(std::span<std::uint8_t> out, bool marker, std::uint8_t payloadType,
                           std::uint16_t sequence, std::uint32_t timestamp, std::uint32_t ssrc);

/// In-place rewriting of the fields an SFU changes per subscriber. The packet must have
/// passed parseRtp.
void writeRtpSsrc(std::span<std::uint8_t> packet, std::uint32_t ssrc);
void writeRtpSequence(std::span<std::uint8_t> packet, std::uint16_t sequence);
void writeRtpTimestamp(std::span<std::uint8_t> packet, std::uint32_t timestamp);
void writeRtpPayloadType(std::span<std::uint8_t> packet, std::uint8_t payloadType);

} // namespace parley::router
