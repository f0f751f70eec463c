#pragma once

#include <cstdint>
#include <optional>

namespace parley::sip {

/// Makes one outgoing RTP stream of packets that come from changing sources: the video a SIP
/// endpoint receives switches between the meeting's speakers, and an endpoint may change its
/// SSRC after a re-INVITE. Within one source, sequence numbers and timestamps keep their
/// steps (gaps, reordering and frames as they were); at a change of source the next packet
/// follows the last one sent, one sequence number on and the wall-clock time since on the
/// media clock, so the receiver sees one stream without a jump.
class RtpContinuity
{
public:
    /// `clockRate` of the stream (90000 for video); `firstSequence` and `firstTimestamp`
    /// where the outgoing stream starts (random, RFC 3550).
    RtpContinuity(std::uint32_t clockRate, std::uint16_t firstSequence, std::uint32_t firstTimestamp);

    struct Mapped
    {
        std::uint16_t sequence;
        std::uint32_t timestamp;
    };
    /// The outgoing sequence number and timestamp of a packet of `source` (its SSRC).
    Mapped map(std::uint32_t source, std::uint16_t sequence, std::uint32_t timestamp, std::int64_t nowMicros);

private:
    std::uint32_t clockRate_;
    std::optional<std::uint32_t> source_;
    std::uint16_t sequenceOffset_ = 0;
    std::uint32_t timestampOffset_ = 0;
    std::uint16_t lastSequence_;     ///< the highest sent, outgoing
    std::uint32_t lastTimestamp_;    ///< of the packet with lastSequence_
    std::int64_t lastMicros_ = 0;    ///< when it was sent
};

} // namespace parley::sip
