#pragma once

#include "publication.h"
#include "rtp_forwarding.h"

#include <parley/router/rtp_packet.h>
#include <parley/router/vp8_descriptor.h>

#include <cstdint>
#include <optional>

namespace parley::router {

/// Whether the consumer behind `mapping` (a subscriber's copy or the recording) gets this
/// packet of `publication`'s layer `layer`, and under which sequence number, timestamp and
/// VP8 ids (written into `header`). Packets of the layer being forwarded go through; a
/// keyframe's first packet on the target layer switches to it, with offsets that continue
/// the numbering where the previous layer stopped (timestamps lined up by both layers'
/// sender reports when there are any, else by the time that passed); everything else is
/// dropped. `vp8` is the payload's descriptor when the publication is VP8 simulcast.
bool mapLayerPacket(LayerMapping& mapping, const Publication& publication, int layer, const RtpView& view,
                    bool keyframe, const Vp8Descriptor* vp8, std::int64_t nowMicros, CopyHeader& header);

/// For a resend: the rewritten header of a kept packet of the forwarded layer.
void mapStoredPacket(const LayerMapping& mapping, const RtpView& view, const Vp8Descriptor* vp8, CopyHeader& header);

/// The publisher's sequence number of the forwarded layer that our `sequence` stands for;
/// nullopt for one sent before the last switch (from a layer no longer forwarded).
std::optional<std::uint16_t> originalSequence(const LayerMapping& mapping, std::uint16_t sequence);

/// The forwarded layer's RTP time `timestamp` as the consumer knows it.
inline std::uint32_t mappedTimestamp(const LayerMapping& mapping, std::uint32_t timestamp)
{
    return timestamp + mapping.timestampOffset;
}

} // namespace parley::router
