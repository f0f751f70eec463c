#pragma once

#include "keyframe_requester.h"
#include "packet_sender.h"
#include "participant_directory.h"
#include "recording_taps.h"
#include "rtp_forwarder.h"

#include <parley/router/dtls_transport.h>
#include <parley/router/media_router.h>
#include <parley/router/sdp.h>

#include <cstdint>
#include <map>
#include <string>

namespace parley::router {

/// Offer/answer for the participants of the router (JSEP, RFC 8829, as a lite ICE agent
/// with one port): what each section of a participant's offer publishes or receives,
/// becoming publications and subscriptions in the directory, and the answer that says so.
class Negotiator
{
public:
    /// Where participants send media: the address in our candidates and our one port.
    struct Address
    {
        std::string announced;
        std::uint16_t port = 0;
        std::uint16_t tcpPort = 0; ///< ICE-TCP (passive); 0: none
    };

    Negotiator(ParticipantDirectory& directory, PacketSender& sender, KeyframeRequester& keyframes,
               RecordingTaps& taps, DtlsContext& dtlsContext, const DtlsCertificate& certificate, Address address)
        : directory_(directory), sender_(sender), keyframes_(keyframes), taps_(taps), dtlsContext_(dtlsContext),
          certificate_(certificate), address_(std::move(address))
    {
    }

    /// See MediaRouter::negotiate.
    Negotiation negotiate(std::int64_t roomId, const std::string& participantId, const SdpOffer& offer,
                          const std::map<std::string, std::string>& tracks,
                          const std::map<std::string, std::string>& subscriptions, std::int64_t nowMicros);

private:
    /// Publishes the sending section `media`; `rids` are the simulcast layers taken (lowest
    /// first), empty for a single stream.
    void publish(Participant& p, const SdpMedia& media, const SdpCodec& codec, const std::optional<SdpCodec>& rtx,
                 const std::string& label, const std::vector<std::string>& rids);
    /// Subscribes the receiving section `media` to `source`; returns the subscription.
    Subscription& subscribe(Participant& p, const SdpMedia& media, Publication& source, std::uint8_t payloadType,
                            const std::optional<SdpCodec>& rtx, bool& created);

    ParticipantDirectory& directory_;
    PacketSender& sender_;
    KeyframeRequester& keyframes_;
    RecordingTaps& taps_;
    DtlsContext& dtlsContext_;
    const DtlsCertificate& certificate_;
    Address address_;
};

} // namespace parley::router
