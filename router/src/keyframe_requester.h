#pragma once

#include "packet_sender.h"
#include "publication.h"
#include "router_counters.h"

#include <cstdint>

namespace parley::router {

/// Sends publishers the keyframe requests (RTCP PLI) that subscribers, new subscriptions and
/// the recorder ask for, through each publication's KeyframeRequestCoalescer, and counts
/// those sent and folded. Audio publications are never asked.
class KeyframeRequester
{
public:
    KeyframeRequester(PacketSender& sender, RouterCounters& counters) : sender_(sender), counters_(counters) {}

    /// Someone needs a keyframe of `publication` at `nowMicros`.
    void request(Publication& publication, std::int64_t nowMicros);
    /// On the timer: sends the request folded during a window that has ended.
    void onTimer(Publication& publication, std::int64_t nowMicros);

private:
    void sendPli(Publication& publication);

    PacketSender& sender_;
    RouterCounters& counters_;
};

} // namespace parley::router
