#include "keyframe_requester.h"

#include "participant.h"

#include <parley/router/rtcp_packet.h>

namespace parley::router {

void KeyframeRequester::request(Publication& publication, std::int64_t nowMicros)
{
    if (!publication.video)
        return;
    if (publication.keyframes.request(nowMicros))
        sendPli(publication);
    else
        counters_.keyframeRequestsFolded.add();
}

void KeyframeRequester::onTimer(Publication& publication, std::int64_t nowMicros)
{
    if (publication.video && publication.keyframes.due(nowMicros))
        sendPli(publication);
}

void KeyframeRequester::sendPli(Publication& publication)
{
    std::uint8_t pli[12];
    writeRtcpPli(pli, publication.owner->rtcpSsrc, publication.ssrc);
    sender_.sendRtcp(*publication.owner, pli);
    counters_.keyframeRequests.add();
}

} // namespace parley::router
