#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace parley::router {

/// RTCP packet types the router reads or writes (RFC 3550, RFC 4585, RFC 5104).
enum RtcpType : std::uint8_t
{
    kRtcpFullIntraRequest = 192, ///< RFC 2032's FIR (H.261), still sent by some SIP endpoints
    kRtcpSenderReport = 200,
    kRtcpReceiverReport = 201,
    kRtcpSourceDescription = 202,
    kRtcpBye = 203,
    kRtcpTransportFeedback = 205, ///< RTPFB: FMT 1 generic NACK
    kRtcpPayloadFeedback = 206,   ///< PSFB: FMT 1 PLI, FMT 4 FIR
};

/// One packet of a compound RTCP packet, as a view.
struct RtcpView
{
    std::uint8_t type = 0;
    std::uint8_t count = 0; ///< report count, or FMT for feedback
    std::span<const std::uint8_t> bytes; ///< the whole packet, header included
    std::size_t offset = 0;              ///< where it starts in the compound packet

    /// The SSRC of the sender (every packet type we read carries it at byte 4).
    std::uint32_t senderSsrc() const;
    /// For PLI, NACK and other feedback: the media source's SSRC (byte 8); 0 otherwise.
    std::uint32_t mediaSsrc() const;
};

/// The next packet of a compound RTCP packet starting at `offset`, or nullopt when its
/// version is not 2, its length runs past the buffer, or it is too short for its type.
std::optional<RtcpView> nextRtcp(std::span<const std::uint8_t> compound, std::size_t offset);

/// Walks a compound RTCP packet and calls `visit` for each packet in it. Returns false (and
/// stops) at the first malformed packet (see nextRtcp); packets before it have been visited.
/// A template, not std::function: the router calls it per RTCP packet and must not allocate.
template <typename Visit>
bool forEachRtcp(std::span<const std::uint8_t> compound, Visit&& visit)
{
    std::size_t at = 0;
    while (at < compound.size()) {
        const auto packet = nextRtcp(compound, at);
        if (!packet)
            return false;
        visit(*packet);
        at += packet->bytes.size();
    }
    return true;
}

/// Overwrites a 32-bit field at `offset` (for SSRC rewriting of feedback in place).
void writeRtcp32(std::span<std::uint8_t> packet, std::size_t offset, std::uint32_t value);

/// Writes a Picture Loss Indication (12 bytes); returns its length, 0 if `out` is too small.
std::size_t writeRtcpPli(std::span<std::uint8_t> out, std::uint32_t senderSsrc, std::uint32_t mediaSsrc);

/// Writes a Full Intra Request (RFC 5104 4.3.1, 20 bytes) for `mediaSsrc` with command
/// sequence number `sequence` (one more for each new request); returns its length, 0 if
/// `out` is too small.
std::size_t writeRtcpFir(std::span<std::uint8_t> out, std::uint32_t senderSsrc, std::uint32_t mediaSsrc,
                         std::uint8_t sequence);

/// Writes a generic NACK (RFC 4585 6.2.1) with the FCI entries `fci` (4 bytes each, as
/// NackGenerator::collect writes them); returns its length, 0 if `out` is too small or `fci`
/// is empty or not whole entries.
std::size_t writeRtcpNack(std::span<std::uint8_t> out, std::uint32_t senderSsrc, std::uint32_t mediaSsrc,
                          std::span<const std::uint8_t> fci);

/// What a receiver report says about one source.
struct ReportBlock
{
    std::uint32_t ssrc = 0;
    std::uint8_t fractionLost = 0;
    std::uint32_t cumulativeLost = 0; ///< 24 bits
    std::uint32_t highestSequence = 0; ///< extended
    std::uint32_t jitter = 0;
    std::uint32_t lastSenderReport = 0;       ///< middle 32 bits of the last SR's NTP time
    std::uint32_t delaySinceSenderReport = 0; ///< 1/65536 s
};

/// Report block `index` of a sender or receiver report (RFC 3550 6.4), or nullopt when the
/// packet is of another type, has fewer blocks, or is too short to hold that one.
std::optional<ReportBlock> reportBlock(const RtcpView& packet, std::size_t index);

/// The sender information of a sender report (RFC 3550 6.4.1).
struct SenderInfo
{
    std::uint32_t ssrc = 0;
    std::uint64_t ntp = 0;          ///< wall clock, NTP 64-bit fixed point
    std::uint32_t rtpTimestamp = 0; ///< the same instant on the stream's RTP clock
    std::uint32_t packetCount = 0;
    std::uint32_t octetCount = 0;
};

/// The sender information of a sender report, or nullopt for another type or a packet too
/// short to hold it.
std::optional<SenderInfo> senderInfo(const RtcpView& packet);

/// The length of a sender report without report blocks.
constexpr std::size_t kRtcpSenderReportBytes = 28;

/// Writes a sender report without report blocks (kRtcpSenderReportBytes); returns its
/// length, 0 if `out` is too small.
std::size_t writeRtcpSenderReport(std::span<std::uint8_t> out, const SenderInfo& info);

/// Writes a receiver report with up to 31 blocks; returns its length, 0 if it does not fit.
std::size_t writeRtcpReceiverReport(std::span<std::uint8_t> out, std::uint32_t senderSsrc,
                                    std::span<const ReportBlock> blocks);

} // namespace parley::router
