#pragma once

#include "packet_sender.h"
#include "publication.h"
#include "router_counters.h"

#include <cstdint>

namespace parley::router {

/// Sends publishers the keyframe requests (RTCP PLI) that subscribers, new subscriptions,
/// layer switches and the recorder ask for, through each layer's KeyframeRequestCoalescer,
/// and counts those sent and folded. Audio publications are never asked.
class KeyframeRequester
{
public:
    KeyframeRequester(PacketSender& sender, RouterCounters& counters) : sender_(sender), counters_(counters) {}

    /// Someone needs a keyframe of `publication`'s layer `layer` at `nowMicros`.
    void request(Publication& publication, int layer, std::int64_t nowMicros);
    /// The consumer behind `mapping` needs a keyframe: of the layer it is to switch to, or
    /// of the one it gets.
    void requestFor(Publication& publication, const LayerMapping& mapping, std::int64_t nowMicros)
    {
        request(publication, mapping.current >= 0 && mapping.current == mapping.target ? mapping.current : mapping.target,
                nowMicros);
    }
    /// Every layer of `publication` (a recorder or an admin asking for the track).
    void requestAll(Publication& publication, std::int64_t nowMicros)
    {
        for (int i = 0; i < static_cast<int>(publication.layers.size()); ++i)
            request(publication, i, nowMicros);
    }
    /// On the timer: sends the requests folded during a window that has ended.
    void onTimer(Publication& publication, std::int64_t nowMicros);

private:
    void sendPli(Publication& publication, const InboundLayer& layer);

    PacketSender& sender_;
    RouterCounters& counters_;
};

} // namespace parley::router
