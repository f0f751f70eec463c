#pragma once

#include "participant_directory.h"
#include "publication.h"
#include "rtp_forwarding.h"

#include <algorithm>
#include <cstdint>

namespace parley::router {

/// How much a subscriber's browser is asked to buffer video before playing it. A packet lost
/// on a lossy link is repaired by asking for it again, which takes a round trip of that link,
/// or two when the request or the resend is lost too; a browser that buffers less shows a
/// freeze while it waits. Browsers size their buffer from their own round trip to the router,
/// which says nothing of the publisher's link. So where the publisher's or the subscriber's
/// link lost packets in the last kLossMemoryMicros, the subscriber is asked (playout-delay
/// header extension, where its browser negotiated it) to buffer at least two round trips of
/// each lossy link, at most kMaxFloorMicros; on clean links the floor is 0 and latency stays
/// as low as the browser makes it.
class PlayoutDelayPolicy
{
public:
    /// Packets found missing above this share of those carried (percent, over a second)
    /// make a link lossy.
    static constexpr double kLossyPercent = 1.0;
    /// A link stays lossy this long after its last lossy second (no flapping).
    static constexpr std::int64_t kLossMemoryMicros = 10'000'000;
    static constexpr std::int64_t kMaxFloorMicros = 400'000;
    /// The most buffering allowed (10 s, the browsers' own default bound), in 10 ms.
    static constexpr std::uint16_t kCeiling10ms = 1000;

    /// Once a second, after the participants' loss was sampled: each outgoing video stream's
    /// floor from its publisher's and subscriber's links.
    static void update(const ParticipantDirectory& participants, std::int64_t nowMicros);

    /// The extension element a copy on `stream` carries (none where not negotiated).
    static CopyExtension extension(const OutgoingStream& stream)
    {
        if (stream.playoutDelayId == 0)
            return {};
        // Never a minimum of 0 with a maximum: libwebrtc takes that pair for its low-latency
        // rendering mode. 10 ms is below any buffer a browser keeps, so it asks nothing.
        const std::uint32_t value = std::uint32_t(std::max<std::uint16_t>(stream.playoutFloor10ms, 1)) << 12 | kCeiling10ms;
        return {stream.playoutDelayId, 3,
                {static_cast<std::uint8_t>(value >> 16), static_cast<std::uint8_t>(value >> 8),
                 static_cast<std::uint8_t>(value)}};
    }
};

} // namespace parley::router
