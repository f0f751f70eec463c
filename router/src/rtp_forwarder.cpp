#include "rtp_forwarder.h"

#include "layer_switch.h"
#include "playout_delay_policy.h"
#include "recording_taps.h"

#include <parley/router/keyframe_detection.h>
#include <parley/router/packet_store.h>

#include <algorithm>
#include <parley/router/rtcp_packet.h>
#include <parley/router/rtp_packet.h>
#include <parley/router/rtx_packet.h>
#include <parley/router/vp8_descriptor.h>

namespace parley::router {
namespace {

/// The VP8 descriptor whose ids a simulcast switch renumbers, read into `vp8`; null where
/// there is nothing to renumber (one layer, another codec, no descriptor).
const Vp8Descriptor* renumberedDescriptor(const Publication& publication, std::span<const std::uint8_t> payload,
                                          Vp8Descriptor& vp8)
{
    return publication.simulcast() && publication.codec == "VP8" && parseVp8Descriptor(payload, vp8) ? &vp8 : nullptr;
}

} // namespace

void RtpForwarder::onRtp(Participant& p, std::span<std::uint8_t> datagram, std::int64_t arrivalMicros)
{
    if (!p.inbound)
        return;
    const auto length = p.inbound->unprotectRtp(datagram.data(), datagram.size());
    if (length == 0) {
        counters_.droppedAuthentication.add();
        return;
    }
    auto packet = datagram.first(length);
    RtpView view;
    if (!parseRtp(packet, view)) {
        counters_.droppedMalformed.add();
        return;
    }
    // Every packet counts for transport-wide feedback, padding and resends included: the
    // sender's estimate is about all it sent.
    if (p.twcc)
        if (const auto sequence = view.extensionValue(p.twccExtensionId); sequence.size() == 2)
            p.twcc->onPacket(static_cast<std::uint16_t>(sequence[0] << 8 | sequence[1]), arrivalMicros);
    auto ref = p.layerBySsrc(view.ssrc);
    if (!ref) {
        // A resend in RTX format becomes the packet it repeats; a simulcast layer is known by
        // the rid its first packets carry; other streams were not negotiated and are not
        // forwarded.
        ref = p.layerByRtxSsrc(view.ssrc);
        if (!ref)
            ref = bindSimulcastLayer(p, view, arrivalMicros);
        if (!ref)
            return;
        if (view.ssrc != ref.layer->ssrc) {
            // (A layer's resends can come before its first packet: nothing to repair yet.)
            if (view.payloadType != ref.publication->rtxPayloadType || !ref.layer->store)
                return;
            packet = restoreFromRtx(packet, view, ref.layer->ssrc, ref.publication->payloadType);
            if (packet.empty())
                return; // padding only
            if (!parseRtp(packet, view)) {
                counters_.droppedMalformed.add();
                return;
            }
        }
    }
    auto& publication = *ref.publication;
    auto& layer = *ref.layer;
    const int index = publication.indexOf(layer);
    // A packet we have already (a publisher's redundant resend or probe, a duplicate on the
    // way) goes no further: subscribers would refuse it as a replay anyway, and it would
    // skew the statistics.
    if (!layer.store->find(view.sequence, arrivalMicros).empty()) {
        counters_.droppedDuplicate.add();
        return;
    }
    // Receiver statistics (RFC 3550 A.1, A.8). A packet far from the sequence (until the
    // next one confirms a restart) is neither counted nor forwarded.
    const auto restartsBefore = layer.incoming->restarts();
    if (!layer.incoming->onPacket(view.sequence, view.timestamp, arrivalMicros)) {
        counters_.droppedMalformed.add();
        return;
    }
    // A sender that restarted its sequence numbers: the holes of the old numbering are not
    // worth asking for, and the new numbering starts clean.
    if (layer.incoming->restarts() != restartsBefore)
        layer.nacks.reset();
    layer.loss.received = layer.incoming->received();
    if (publication.repairLoss) {
        const auto givenUpBefore = layer.nacks.givenUp();
        const auto arrival = layer.nacks.onPacket(view.sequence, arrivalMicros);
        counters_.repairsGivenUp.add(layer.nacks.givenUp() - givenUpBefore);
        switch (arrival) {
        case NackGenerator::Arrival::Gap:
            p.holesIn += layer.nacks.lastSkipped();
            sendNacks(publication, layer, arrivalMicros);
            break;
        case NackGenerator::Arrival::Recovered:
            counters_.packetsRecovered.add();
            p.slowestRepairMicros = std::max(p.slowestRepairMicros, layer.nacks.lastRepairMicros());
            break;
        case NackGenerator::Arrival::KeyframeNeeded:
            p.holesIn += layer.nacks.lastSkipped();
            keyframes_.request(publication, index, arrivalMicros);
            break;
        case NackGenerator::Arrival::InOrder:
            break;
        }
    }
    // A moderator's mute drops it here: counted and tracked above, so an unmute does not
    // look like a hole to repair.
    if (publication.video ? p.videoMuted : p.audioMuted) {
        counters_.droppedMuted.add();
        return;
    }
    layer.store->store(view.sequence, packet, arrivalMicros);
    layer.octets += view.payloadLength;
    layer.lastPacketMicros = arrivalMicros;
    const auto payload = packet.subspan(view.payloadOffset, view.payloadLength);
    const bool keyframe = publication.video && startsKeyframe(publication.codec, payload);
    if (keyframe) {
        layer.keyframes.onKeyframe();
        if (const auto size = vp8KeyframeSize(payload); size.height != 0 && publication.codec == "VP8")
            layer.height = size.height;
    }
    // Switching between simulcast layers renumbers VP8 pictures too.
    Vp8Descriptor vp8;
    const auto* descriptor = renumberedDescriptor(publication, payload, vp8);
    RecordingTaps::copyRtp(publication, index, packet, view, keyframe, descriptor, arrivalMicros);

    for (auto& stream : publication.outgoing) {
        auto header = unchangedHeader(view, stream.ssrc, stream.payloadType);
        const auto switchesBefore = stream.layers.switches;
        if (!mapLayerPacket(stream.layers, publication, index, view, keyframe, descriptor, arrivalMicros, header))
            continue;
        if (stream.layers.switches != switchesBefore && stream.layers.previous >= 0)
            counters_.layerSwitches.add();
        header.playoutDelay = PlayoutDelayPolicy::extension(stream);
        auto& subscriber = *stream.subscriber;
        if (publication.video && subscriber.pacer && subscriber.reachable() &&
            subscriber.pacer->mustWait(sender_.now())) {
            pace(subscriber, publication, index, view, header, packet.size());
        }
        else {
            if (!sender_.sendCopy(subscriber, packet, view, header))
                continue;
            counters_.forwarded.add();
        }
        ++stream.packets;
        stream.octets += static_cast<std::uint32_t>(view.payloadLength);
    }
}

void RtpForwarder::pace(Participant& subscriber, Publication& publication, int index, const RtpView& view,
                        const CopyHeader& header, std::size_t bytes)
{
    auto& pacer = *subscriber.pacer;
    if (pacer.full()) {
        // Full: the oldest goes now rather than anything being lost.
        sendQueued(subscriber, pacer.front());
        pacer.pop();
        counters_.pacerOverflows.add();
    }
    Pacer::Entry entry;
    entry.publication = &publication;
    entry.sourceSsrc = view.ssrc;
    entry.sourceSequence = view.sequence;
    entry.layer = static_cast<std::uint8_t>(index);
    entry.bytes = static_cast<std::uint16_t>(bytes);
    entry.payloadBytes = static_cast<std::uint16_t>(view.payloadLength);
    entry.queuedAt = sender_.now();
    entry.header = header;
    pacer.push(entry);
    counters_.pacedPackets.add();
    pacing_ = true;
}

void RtpForwarder::sendQueued(Participant& subscriber, const Pacer::Entry& entry)
{
    auto& publication = *entry.publication;
    const auto* layer = entry.layer < publication.layers.size() ? &publication.layers[entry.layer] : nullptr;
    const auto stored =
        layer && layer->store ? layer->store->find(entry.sourceSequence, sender_.now()) : std::span<const std::uint8_t>{};
    RtpView view;
    // (A layer that restarted under a new SSRC has a new store: the number may name another packet.)
    const bool kept = !stored.empty() && parseRtp(stored, view) && view.ssrc == entry.sourceSsrc;
    if (kept) {
        Vp8Descriptor vp8;
        auto header = entry.header;
        header.vp8 = renumberedDescriptor(publication, stored.subspan(view.payloadOffset, view.payloadLength), vp8);
        if (sender_.sendCopy(subscriber, stored, view, header)) {
            counters_.forwarded.add();
            return;
        }
    }
    else {
        counters_.pacedExpired.add();
    }
    // Counted for its sender reports when it was queued, but never sent.
    if (auto* stream = publication.outgoingTo(subscriber, entry.header.ssrc)) {
        --stream->packets;
        stream->octets -= entry.payloadBytes;
    }
}

bool RtpForwarder::sendPaced(const ParticipantDirectory& participants, std::int64_t nowMicros)
{
    if (!pacing_)
        return false;
    bool waiting = false;
    for (const auto& [id, participant] : participants)
        waiting = sendPaced(*participant, nowMicros) || waiting;
    pacing_ = waiting;
    return waiting;
}

bool RtpForwarder::sendPaced(Participant& subscriber, std::int64_t nowMicros)
{
    if (!subscriber.pacer)
        return false;
    while (const auto* entry = subscriber.pacer->due(nowMicros)) {
        sendQueued(subscriber, *entry);
        subscriber.pacer->pop();
    }
    return !subscriber.pacer->empty();
}

Participant::LayerRef RtpForwarder::bindSimulcastLayer(Participant& p, const RtpView& view, std::int64_t nowMicros)
{
    if (p.midExtensionId == 0)
        return {};
    const auto mid = view.extensionValue(p.midExtensionId);
    auto* publication =
        p.publicationByMid({reinterpret_cast<const char*>(mid.data()), mid.size()});
    if (!publication || !publication->simulcast())
        return {};
    const bool repair = view.payloadType == publication->rtxPayloadType && publication->rtxPayloadType != 0;
    const auto rid = view.extensionValue(repair ? publication->repairedRidExtensionId : publication->ridExtensionId);
    if (rid.empty())
        return {};
    for (auto& layer : publication->layers) {
        if (layer.rid != std::string_view(reinterpret_cast<const char*>(rid.data()), rid.size()))
            continue;
        // A second SSRC for a layer that is sending is not taken: a publisher that restarts
        // a layer stops the old stream first, and switching stores per packet would cost an
        // allocation each.
        if (!repair && layer.ssrc != 0 && layer.active(nowMicros))
            return {};
        // Once per layer (and again only if the publisher changes its SSRC): not per packet.
        if (repair) {
            layer.rtxSsrc = view.ssrc;
        }
        else {
            // A layer that restarts under a new SSRC: its numbering and clock are new, so
            // copies on it wait for its next keyframe to renumber, and its old sender report
            // no longer lines anything up.
            if (layer.ssrc != 0) {
                const int index = publication->indexOf(layer);
                for (auto& stream : publication->outgoing)
                    if (stream.layers.current == index)
                        stream.layers.current = -1;
                if (publication->tapLayers.current == index)
                    publication->tapLayers.current = -1;
                layer.reportNtp = 0;
                layer.reportRtpTimestamp = 0;
            }
            layer.ssrc = view.ssrc;
            layer.incoming.emplace(view.ssrc, static_cast<std::uint32_t>(publication->clockRate));
            layer.store = std::make_unique<PacketStore>(kVideoStorePackets, kVideoStoreMicros);
            layer.nacks.reset();
            layer.loss = LossMeter{};
            layer.lastPacketMicros = nowMicros;
        }
        return {publication, &layer};
    }
    return {};
}

void RtpForwarder::answerNack(Participant& subscriber, const Subscription& subscription,
                              std::span<const std::uint8_t> fci, std::int64_t nowMicros)
{
    auto& publication = *subscription.publication;
    auto* stream = publication.outgoingTo(subscriber, subscription.ssrc);
    if (!stream || !subscriber.reachable())
        return;
    forEachNackedSequence(fci, kMaxNackedPerPacket, [&](std::uint16_t sequence) {
        ++subscriber.nackedOut;
        // Still waiting in its pacer (a publisher's resend that came late): on its way.
        if (subscriber.pacer && subscriber.pacer->holds(stream->ssrc, sequence))
            return;
        if (subscriber.retransmitBudget <= 0) {
            counters_.retransmitsRefused.add();
            return;
        }
        // Our sequence number, back to the publisher's in the layer it came from.
        const auto original = originalSequence(stream->layers, sequence);
        const auto* layer = original ? &publication.layers[static_cast<std::size_t>(stream->layers.current)] : nullptr;
        const auto stored = layer && layer->store ? layer->store->find(*original, nowMicros) : std::span<const std::uint8_t>{};
        RtpView view;
        if (stored.empty() || !parseRtp(stored, view)) {
            counters_.nackMisses.add();
            return;
        }
        Vp8Descriptor vp8;
        const auto* descriptor =
            renumberedDescriptor(publication, stored.subspan(view.payloadOffset, view.payloadLength), vp8);
        auto header = unchangedHeader(view, stream->ssrc, stream->payloadType);
        mapStoredPacket(stream->layers, view, descriptor, header);
        if (stream->rtxSsrc != 0) {
            header.rtx = true;
            header.originalSequence = header.sequence;
            header.ssrc = stream->rtxSsrc;
            header.payloadType = stream->rtxPayloadType;
            header.sequence = stream->rtxSequence++;
        }
        if (!sender_.sendCopy(subscriber, stored, view, header))
            return;
        --subscriber.retransmitBudget;
        counters_.retransmitted.add();
    });
}

void RtpForwarder::sendNacks(Publication& publication, std::int64_t nowMicros)
{
    for (auto& layer : publication.layers)
        sendNacks(publication, layer, nowMicros);
}

void RtpForwarder::sendNacks(Publication& publication, InboundLayer& layer, std::int64_t nowMicros)
{
    auto& owner = *publication.owner;
    if (!publication.repairLoss || layer.nacks.missing() == 0 || !owner.reachable())
        return;
    std::uint8_t fci[4 * kMaxNackEntries];
    const auto askedBefore = layer.nacks.asked();
    const auto givenUpBefore = layer.nacks.givenUp();
    const auto length = layer.nacks.collect(nowMicros, owner.rttMicros, fci);
    // (Given up here: asked ten times.)
    counters_.repairsGivenUp.add(layer.nacks.givenUp() - givenUpBefore);
    if (length == 0)
        return;
    std::uint8_t nack[12 + sizeof fci];
    const auto written = writeRtcpNack(nack, owner.rtcpSsrc, layer.ssrc, {fci, length});
    sender_.sendRtcp(owner, {nack, written});
    counters_.nacksSent.add(layer.nacks.asked() - askedBefore);
}

} // namespace parley::router
