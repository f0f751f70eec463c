#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace parley::router {

/// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-
/// extensions-01; RTCP RTPFB FMT 15): for a run of transport-wide sequence numbers, which
/// packets arrived and when. The router sends it to publishers so their browsers' own
/// bandwidth estimators work on the way in.

constexpr std::uint8_t kRtcpFormatTransportFeedback = 15;
/// Arrival deltas are in units of 250 µs; the reference time in units of 64 ms.
constexpr std::int64_t kTwccDeltaMicros = 250;
constexpr std::int64_t kTwccReferenceMicros = 64'000;

/// Builds one feedback packet from packets added in sequence order. Fixed size, no
/// allocation. Start with begin(), add() each sequence number from the base on (received or
/// not), then finish().
class TwccFeedbackBuilder
{
public:
    /// Room for the packet: header, chunks and deltas of up to kMaxPackets packets.
    static constexpr std::size_t kMaxPackets = 400;
    static constexpr std::size_t kMaxBytes = 20 + 2 * kMaxPackets + 2 * kMaxPackets;

    /// Starts a packet for sequence numbers from `baseSequence`, the first received of them
    /// at `firstArrivalMicros` (sets the reference time), as feedback number `count`.
    void begin(std::uint32_t senderSsrc, std::uint32_t mediaSsrc, std::uint16_t baseSequence,
               std::int64_t firstArrivalMicros, std::uint8_t count);

    /// The next sequence number: received at `arrivalMicros`, or not (`received` false).
    /// False when it does not fit (kMaxPackets, or a delta beyond what 16 bits hold): the
    /// packet ends before it, and it starts the next one.
    bool add(bool received, std::int64_t arrivalMicros);

    std::size_t packets() const { return count_; }

    /// Writes the packet; returns its length (a multiple of 4).
    std::span<const std::uint8_t> finish();

private:
    void flushChunk(bool final);

    std::array<std::uint8_t, kMaxBytes> bytes_{};
    std::array<std::uint8_t, 2 * kMaxPackets> deltas_{};
    std::array<std::uint8_t, kMaxPackets> symbols_{};
    std::size_t count_ = 0;       ///< sequence numbers added
    std::size_t chunked_ = 0;     ///< of those, written into chunks
    std::size_t chunkBytes_ = 0;  ///< chunk bytes written after the 20-byte header
    std::size_t deltaBytes_ = 0;
    std::int64_t lastArrival_ = 0; ///< the reference time, then each received packet's arrival
};

/// One packet a feedback reports on.
struct TwccPacketStatus
{
    std::uint16_t sequence = 0;
    bool received = false;
    std::int64_t arrivalMicros = 0; ///< on the receiver's clock (reference time + deltas)
};

/// Walks a feedback packet (the whole RTCP packet, header included) and calls
/// `visit(TwccPacketStatus)` for each sequence number it reports on, at most `limit`. Returns
/// false, having visited only what came before, for a malformed packet: too short, chunks
/// or deltas past its end, a reserved symbol, more symbols than the packet could hold.
bool parseTwccFeedback(std::span<const std::uint8_t> packet, std::size_t limit,
                       void (*visit)(void* context, const TwccPacketStatus& status), void* context);

template <typename Visit>
bool forEachTwccStatus(std::span<const std::uint8_t> packet, std::size_t limit, Visit&& visit)
{
    return parseTwccFeedback(
        packet, limit, [](void* context, const TwccPacketStatus& status) { (*static_cast<Visit*>(context))(status); },
        &visit);
}

} // namespace parley::router
