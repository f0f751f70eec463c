#pragma once

#include "traffic_meter.h"

#include <parley/router/incoming_stream.h>
#include <parley/router/keyframe_request_coalescer.h>
#include <parley/router/nack_generator.h>
#include <parley/router/packet_store.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace parley::router {

struct Participant;
class MediaTap;

/// One subscriber's copy of a publication: the SSRC and payload type it knows the copy by,
/// and what it was sent (for the sender reports it gets).
struct OutgoingStream
{
    Participant* subscriber;
    std::uint32_t ssrc;
    std::uint8_t payloadType;
    // Where the subscriber negotiated RTX (RFC 4588), resends go as their own stream.
    std::uint32_t rtxSsrc = 0;
    std::uint8_t rtxPayloadType = 0;
    std::uint16_t rtxSequence = 0;
    /// The playout-delay extension's id in the subscriber's section (0: not negotiated), and
    /// the least buffering asked of it, in 10 ms (see PlayoutDelayPolicy).
    std::uint8_t playoutDelayId = 0;
    std::uint16_t playoutFloor10ms = 0;
    std::uint32_t packets = 0;
    std::uint32_t octets = 0; ///< payload bytes, as RFC 3550 counts them
    // The last sender report it was sent (middle 32 bits of its NTP time) and when, so its
    // receiver reports (LSR, DLSR) give the round trip to it.
    std::uint32_t reportNtpMiddle = 0;
    std::int64_t reportSentAt = 0;
};

/// A track a participant sends us, with what the router keeps of it: receive statistics,
/// recent packets for retransmission, keyframe requests, the subscribers' copies and the
/// recording tap.
struct Publication
{
    Participant* owner = nullptr;
    std::string trackId;
    std::string mid;
    std::string label; ///< audio, video or screen
    bool video = false;
    std::uint32_t ssrc = 0;
    std::uint8_t payloadType = 0;
    std::uint32_t rtxSsrc = 0; ///< where the publisher sends its resends (RFC 4588), 0: none
    std::uint8_t rtxPayloadType = 0;
    std::string codec; ///< "opus", "VP8", "H264"
    int clockRate = 0;
    std::vector<OutgoingStream> outgoing;
    // A recording of the room copies every packet into this ring, as track `tapTrack`.
    MediaTap* tap = nullptr;
    std::uint16_t tapTrack = 0;
    // What we receive of it, for receiver reports (made again when its SSRC or clock changes).
    std::optional<IncomingStream> incoming;
    /// Its recent packets, to answer subscribers' NACKs (made with `incoming`).
    std::unique_ptr<PacketStore> store;
    LossMeter loss; ///< the loss shown in the admin overview and /metrics, per second
    KeyframeRequestCoalescer keyframes;
    /// Packets lost on the way in, asked for again when the publisher negotiated NACK.
    NackGenerator nacks;
    bool repairLoss = false;

    /// The copy `subscriber` receives under `ssrc`, or null.
    OutgoingStream* outgoingTo(const Participant& subscriber, std::uint32_t ssrc)
    {
        for (auto& stream : outgoing)
            if (stream.subscriber == &subscriber && stream.ssrc == ssrc)
                return &stream;
        return nullptr;
    }
};

} // namespace parley::router
