#include "subscriber_bandwidth.h"

#include "layer_allocator.h"

#include <algorithm>
#include <limits>

namespace parley::router {
namespace {

/// A probe asks for this much more than the layers wanted, so that a success proves them.
constexpr double kProbeHeadroom = 1.2;

} // namespace

OutgoingStream* SubscriberBandwidth::paddingStream(Participant& subscriber)
{
    for (auto& subscription : subscriber.subscriptions)
        if (auto* stream = subscription.publication->outgoingTo(subscriber, subscription.ssrc);
            stream && stream->rtxSsrc != 0 && stream->layers.sent)
            return stream;
    return nullptr;
}

std::uint64_t SubscriberBandwidth::forwardedBps(Participant& subscriber)
{
    std::uint64_t total = 0;
    for (auto& subscription : subscriber.subscriptions) {
        auto& publication = *subscription.publication;
        const auto* stream = publication.outgoingTo(subscriber, subscription.ssrc);
        if (!stream || publication.layers.empty())
            continue;
        const int layer = publication.simulcast() ? stream->layers.current : 0;
        if (layer >= 0)
            total += publication.layers[static_cast<std::size_t>(layer)].bitsPerSecond;
    }
    return total;
}

void SubscriberBandwidth::allocate(const ParticipantDirectory& participants, std::int64_t nowMicros)
{
    for (const auto& [id, participant] : participants) {
        auto& p = *participant;
        const auto budget = p.estimator ? p.estimator->estimate() : std::numeric_limits<std::uint32_t>::max();
        if (p.pacer && p.estimator)
            p.pacer->setRate(Pacer::rateFor(budget, forwardedBps(p)));
        const auto wanted = LayerAllocator::allocate(p, budget, nowMicros);
        for (auto& subscription : p.subscriptions) {
            auto& publication = *subscription.publication;
            if (!publication.simulcast())
                continue;
            if (auto* stream = publication.outgoingTo(p, subscription.ssrc);
                stream && stream->layers.target != stream->layers.current && p.reachable())
                keyframes_.request(publication, stream->layers.target, nowMicros);
        }
        if (p.estimator && wanted > budget && p.reachable() && paddingStream(p)) {
            const auto extra = static_cast<double>(wanted) * kProbeHeadroom - p.estimator->deliveredBps();
            if (extra > 0)
                p.estimator->startProbe(static_cast<std::uint32_t>(std::min(extra, 50e6)), nowMicros);
        }
    }
}

bool SubscriberBandwidth::sendProbes(const ParticipantDirectory& participants, std::int64_t nowMicros)
{
    bool running = false;
    for (const auto& [id, participant] : participants) {
        auto& p = *participant;
        if (!p.estimator || !p.estimator->probing())
            continue;
        auto due = p.estimator->probeBytesDue(nowMicros);
        running = running || p.estimator->probing();
        auto* stream = paddingStream(p);
        if (!stream)
            continue;
        for (int i = 0; i < kMaxPaddingPacketsPerTick && due > 0; ++i) {
            const auto bytes = std::min(due, kPaddingBytes);
            CopyHeader header;
            header.ssrc = stream->rtxSsrc;
            header.payloadType = stream->rtxPayloadType;
            header.sequence = stream->rtxSequence++;
            header.timestamp = stream->layers.lastTimestamp;
            if (!sender_.sendPadding(p, header, bytes))
                break;
            counters_.probePackets.add();
            due -= bytes;
        }
    }
    return running;
}

} // namespace parley::router
