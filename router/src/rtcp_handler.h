#pragma once

#include "keyframe_requester.h"
#include "packet_sender.h"
#include "participant.h"
#include "router_counters.h"
#include "rtp_forwarder.h"

#include <parley/router/rtcp_packet.h>

#include <cstdint>
#include <span>

namespace parley::router {

/// The RTCP a participant sends us and the reports we send: keyframe requests (PLI, FIR)
/// and NACKs about the copies it receives, receiver reports about them (the loss shown in
/// the admin overview), and sender reports about what it publishes, which are translated to
/// every subscriber and copied to the recording. Once a second each publisher gets a
/// receiver report about its streams.
class RtcpHandler
{
public:
    RtcpHandler(PacketSender& sender, RtpForwarder& forwarder, KeyframeRequester& keyframes, RouterCounters& counters)
        : sender_(sender), forwarder_(forwarder), keyframes_(keyframes), counters_(counters)
    {
    }

    /// An SRTCP compound packet from `from`, received at `arrivalMicros`. Undecryptable or
    /// malformed compounds are counted; what parsed before a malformed part is still used.
    void onRtcp(Participant& from, std::span<std::uint8_t> datagram, std::int64_t arrivalMicros);

    /// Sends `publisher` the transport-wide feedback due (where it negotiated transport-cc).
    void sendTransportFeedback(Participant& publisher);

    /// Sends `publisher` a receiver report about each of its streams that has started.
    void sendReceiverReport(Participant& publisher, std::int64_t nowMicros);

private:
    void onSenderReport(Publication& publication, InboundLayer& layer, const RtcpView& report, std::int64_t arrivalMicros);
    static void updateRoundTrip(Participant& p, const OutgoingStream& stream, const ReportBlock& block,
                                std::int64_t arrivalMicros);

    PacketSender& sender_;
    RtpForwarder& forwarder_;
    KeyframeRequester& keyframes_;
    RouterCounters& counters_;
};

} // namespace parley::router
