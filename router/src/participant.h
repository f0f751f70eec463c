#pragma once

#include "endpoint.h"
#include "pacer.h"
#include "publication.h"
#include "traffic_meter.h"

#include <parley/router/dtls_transport.h>
#include <parley/router/srtp_session.h>
#include <parley/router/send_side_estimator.h>
#include <parley/router/twcc_receiver.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::router {

/// A track a participant receives from us: which section (mid) and under which SSRC.
struct Subscription
{
    std::string mid;
    std::uint32_t ssrc;
    Publication* publication;
    std::uint32_t rtxSsrc = 0; ///< the SSRC of our resends to it, once it negotiated RTX
};

/// One participant of a room as the router knows it: its ICE credentials and selected
/// address, its DTLS-SRTP keys, what it publishes and receives, and its traffic. Owned by
/// the ParticipantDirectory; used on the worker thread only.
struct Participant
{
    std::string id;
    std::int64_t roomId = 0;
    std::string localUfrag;
    std::string localPassword;
    std::uint32_t rtcpSsrc = 0; ///< sender SSRC of the RTCP we write to it
    std::optional<Endpoint> selected;
    std::chrono::steady_clock::time_point lastConsent{};
    std::unique_ptr<DtlsTransport> dtls;
    std::unique_ptr<SrtpSession> inbound;
    std::unique_ptr<SrtpSession> outbound;
    std::vector<std::unique_ptr<Publication>> publications;
    std::vector<Subscription> subscriptions;
    bool audioMuted = false;
    bool videoMuted = false;
    bool dtlsFailureLogged = false;
    /// Transport-wide feedback about what it sends us, where it negotiated transport-cc: the
    /// id of the sequence number extension in its packets, and their arrival times.
    std::uint8_t twccExtensionId = 0;
    std::unique_ptr<TwccReceiver> twcc;
    /// Where it gives transport-wide feedback about what we send it: the extension's id in
    /// its receiving sections, and the bandwidth estimated from that feedback.
    std::uint8_t twccSendExtensionId = 0;
    std::unique_ptr<SendSideEstimator> estimator;
    /// With the estimate, the video it receives is paced (made with `estimator`).
    std::unique_ptr<Pacer> pacer;
    /// Retransmissions it may still ask for until the next timer tick (NACK storms).
    int retransmitBudget = 0;
    TrafficMeter in;
    TrafficMeter out;
    double lossPercentIn = 0;
    double lossPercentOut = 0; ///< the worst fraction lost in its last receiver report
    /// Round trip to it, smoothed, from its receiver reports about our sender reports; a
    /// typical figure until the first one.
    std::int64_t rttMicros = kDefaultRttMicros;
    bool rttMeasured = false;
    /// Until when its link counts as lossy (PlayoutDelayPolicy), steady µs.
    std::int64_t lossyUntil = 0;
    /// Packets found missing on its link, each way: holes in what it publishes, and what it
    /// asks us for again (NACK). Repairs hide loss from the loss rates; these see it.
    std::uint64_t holesIn = 0;
    std::uint64_t nackedOut = 0;
    std::uint64_t holesInSampled = 0, nackedOutSampled = 0, packetsInSampled = 0, packetsOutSampled = 0;
    /// The slowest repair of a packet it lost on the way in, this second and lately
    /// (decaying): how long subscribers must be able to wait for one.
    std::int64_t slowestRepairMicros = 0;
    std::int64_t repairBudgetMicros = 0;
    static constexpr std::int64_t kDefaultRttMicros = 100'000;

    /// Media reaches it: keys agreed and an address checked.
    bool reachable() const { return outbound && selected; }

    /// A layer of one of its publications and the publication.
    struct LayerRef
    {
        Publication* publication = nullptr;
        InboundLayer* layer = nullptr;
        explicit operator bool() const { return layer != nullptr; }
    };

    /// The layer whose packets come under `ssrc`, or an empty ref.
    LayerRef layerBySsrc(std::uint32_t ssrc)
    {
        for (auto& publication : publications)
            if (auto* layer = publication->layerBySsrc(ssrc))
                return {publication.get(), layer};
        return {};
    }

    /// The layer whose resends (RTX) come under `ssrc`, or an empty ref.
    LayerRef layerByRtxSsrc(std::uint32_t ssrc)
    {
        for (auto& publication : publications)
            if (auto* layer = publication->layerByRtxSsrc(ssrc))
                return {publication.get(), layer};
        return {};
    }

    Publication* publicationByMid(std::string_view mid)
    {
        for (auto& publication : publications)
            if (publication->mid == mid)
                return publication.get();
        return nullptr;
    }

    /// Where its packets carry their section's mid (RFC 8843), that extension's id.
    std::uint8_t midExtensionId = 0;

    Subscription* subscriptionBySsrc(std::uint32_t ssrc)
    {
        for (auto& subscription : subscriptions)
            if (subscription.ssrc == ssrc)
                return &subscription;
        return nullptr;
    }
};

} // namespace parley::router
