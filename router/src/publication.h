#pragma once

#include "traffic_meter.h"

#include <parley/router/incoming_stream.h>
#include <parley/router/keyframe_request_coalescer.h>
#include <parley/router/nack_generator.h>
#include <parley/router/packet_store.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace parley::router {

struct Participant;
class MediaTap;

/// Where one subscriber's copy of a publication stands against what the publisher sends:
/// which of its layers is forwarded, and the offsets that make the copy one continuous
/// stream across switches (sequence numbers, RTP timestamps, VP8 picture ids). For a
/// publication without simulcast the offsets stay 0.
struct LayerMapping
{
    int current = -1;    ///< the layer forwarded; -1 until its first keyframe
    int target = 0;      ///< the layer the allocator chose; a switch waits for its keyframe
    int previous = -1;   ///< the layer before the last switch, for late NACKs about it
    std::uint16_t sequenceOffset = 0;
    std::uint16_t previousSequenceOffset = 0;
    std::uint16_t switchSequence = 0; ///< the first sequence number (ours) of `current`
    std::uint32_t timestampOffset = 0;
    std::uint16_t pictureIdOffset = 0;
    std::uint8_t tl0Offset = 0;
    bool sent = false; ///< anything forwarded yet (the last* fields hold)
    std::uint16_t lastSequence = 0;
    std::uint32_t lastTimestamp = 0;
    std::int64_t lastSentMicros = 0;
    std::uint16_t lastPictureId = 0;
    std::uint8_t lastTl0 = 0;
    std::uint32_t switches = 0; ///< layer changes, the first layer included
};

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
    LayerMapping layers;
    /// The height at which the subscriber's page shows this video, in pixels (0: unknown,
    /// no limit): a simulcast layer taller than needed is not sent to it.
    std::uint16_t shownHeight = 0;
};

/// One encoding of a publication as it reaches the router: the only one of a plain track,
/// or one of a simulcast track's layers (RFC 8853), lowest first. Each has its own SSRC,
/// statistics, packet store, loss repair and keyframe requests.
struct InboundLayer
{
    std::string rid;        ///< empty without simulcast
    std::uint32_t ssrc = 0; ///< 0 until its first packet names it by rid
    std::uint32_t rtxSsrc = 0; ///< where its resends come (RFC 4588), 0: none or unknown
    // What we receive of it, for receiver reports (made again when its SSRC or clock changes).
    std::optional<IncomingStream> incoming;
    /// Its recent packets, to answer subscribers' NACKs (made with `incoming`).
    std::unique_ptr<PacketStore> store;
    LossMeter loss; ///< the loss shown in the admin overview and /metrics, per second
    KeyframeRequestCoalescer keyframes;
    /// Packets lost on the way in, asked for again when the publisher negotiated NACK.
    NackGenerator nacks;
    /// Rate samples (one a second) a layer's planning rate is the highest of: a VP8 layer's
    /// rate swings with motion and keyframes, and a subscriber near its limit planned on one
    /// quiet second would be moved up onto a layer it cannot take.
    static constexpr std::size_t kRateSamples = 3;
    /// Samples with traffic before a layer's rate counts: the first covers only part of a
    /// second, so a layer that just started would look cheap.
    static constexpr std::uint8_t kSettledSamples = 2;

    /// What it carries, for choosing layers: payload bytes this second, its planning rate
    /// (see kRateSamples) and how many seconds in a row it was sampled sending, the picture
    /// height of its last keyframe, and when its last packet came.
    std::uint64_t octets = 0;
    std::uint64_t sampledOctets = 0;
    std::uint32_t bitsPerSecond = 0;
    std::array<std::uint32_t, kRateSamples> rateSamples{};
    std::uint8_t nextRateSample = 0;
    std::uint8_t sampledSeconds = 0;
    std::uint16_t height = 0;
    std::int64_t lastPacketMicros = 0;
    /// Its last sender report (NTP and RTP time), to line up timestamps across a switch.
    std::uint64_t reportNtp = 0;
    std::uint32_t reportRtpTimestamp = 0;

    /// Sending now: a packet within the last second.
    bool active(std::int64_t nowMicros) const { return lastPacketMicros != 0 && nowMicros - lastPacketMicros < 1'000'000; }

    /// Ends a second of measuring with its rate; a silent second starts the count over.
    void sampleRate(std::uint32_t bps)
    {
        if (bps == 0) {
            rateSamples.fill(0);
            sampledSeconds = 0;
        }
        else {
            rateSamples[nextRateSample] = bps;
            nextRateSample = static_cast<std::uint8_t>((nextRateSample + 1) % kRateSamples);
            sampledSeconds = static_cast<std::uint8_t>(std::min<int>(sampledSeconds + 1, 0xff));
        }
        bitsPerSecond = *std::max_element(rateSamples.begin(), rateSamples.end());
    }

    /// Sending, and measured long enough for its rate to be planned on.
    bool settled(std::int64_t nowMicros) const
    {
        return active(nowMicros) && sampledSeconds >= kSettledSamples && bitsPerSecond > 0;
    }
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
    std::uint8_t payloadType = 0;
    std::uint8_t rtxPayloadType = 0; ///< of its resends (RFC 4588), 0: none
    /// One layer, or a simulcast track's layers lowest first (at most kMaxLayers). Sized at
    /// negotiation and not resized while packets flow (the hot path keeps pointers into it).
    std::vector<InboundLayer> layers;
    static constexpr std::size_t kMaxLayers = 3;
    /// Simulcast: the ids of the header extensions that name a packet's layer (RFC 8852).
    std::uint8_t ridExtensionId = 0;
    std::uint8_t repairedRidExtensionId = 0;
    std::string codec; ///< "opus", "VP8", "H264"
    int clockRate = 0;
    std::vector<OutgoingStream> outgoing;
    // A recording of the room copies every packet into this ring, as track `tapTrack`.
    MediaTap* tap = nullptr;
    std::uint16_t tapTrack = 0;
    bool repairLoss = false;
    /// The layer the recording takes: the best one sending.
    LayerMapping tapLayers;

    bool simulcast() const { return layers.size() > 1; }

    InboundLayer* layerBySsrc(std::uint32_t ssrc)
    {
        for (auto& layer : layers)
            if (layer.ssrc == ssrc && ssrc != 0)
                return &layer;
        return nullptr;
    }

    InboundLayer* layerByRtxSsrc(std::uint32_t ssrc)
    {
        for (auto& layer : layers)
            if (layer.rtxSsrc == ssrc && ssrc != 0)
                return &layer;
        return nullptr;
    }

    int indexOf(const InboundLayer& layer) const { return static_cast<int>(&layer - layers.data()); }

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
