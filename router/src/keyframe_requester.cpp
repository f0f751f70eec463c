#include "keyframe_requester.h"

#include "participant.h"

#include <parley/router/rtcp_packet.h>

namespace parley::router {

void KeyframeRequester::request(Publication& publication, int layer, std::int64_t nowMicros)
{
    if (!publication.video || layer < 0 || layer >= static_cast<int>(publication.layers.size()))
        return;
    auto& target = publication.layers[static_cast<std::size_t>(layer)];
    if (target.keyframes.request(nowMicros))
        sendPli(publication, target);
    else
        counters_.keyframeRequestsFolded.add();
}

void KeyframeRequester::onTimer(Publication& publication, std::int64_t nowMicros)
{
    if (!publication.video)
        return;
    for (auto& layer : publication.layers)
        if (layer.keyframes.due(nowMicros))
            sendPli(publication, layer);
}

void KeyframeRequester::sendPli(Publication& publication, const InboundLayer& layer)
{
    // A simulcast layer not seen yet has no SSRC to ask.
    if (layer.ssrc == 0)
        return;
    std::uint8_t pli[12];
    writeRtcpPli(pli, publication.owner->rtcpSsrc, layer.ssrc);
    sender_.sendRtcp(*publication.owner, pli);
    counters_.keyframeRequests.add();
}

} // namespace parley::router
