#include "rtp_forwarder.h"

#include "playout_delay_policy.h"
#include "recording_taps.h"

#include <parley/router/keyframe_detection.h>
#include <parley/router/packet_store.h>

#include <algorithm>
#include <parley/router/rtcp_packet.h>
#include <parley/router/rtp_packet.h>
#include <parley/router/rtx_packet.h>

namespace parley::router {

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
    auto* publication = p.publicationBySsrc(view.ssrc);
    if (!publication) {
        // A resend in RTX format becomes the packet it repeats; other streams were not
        // negotiated and are not forwarded.
        publication = p.publicationByRtxSsrc(view.ssrc);
        if (!publication || view.payloadType != publication->rtxPayloadType)
            return;
        packet = restoreFromRtx(packet, view, publication->ssrc, publication->payloadType);
        if (packet.empty())
            return; // padding only
        if (!parseRtp(packet, view)) {
            counters_.droppedMalformed.add();
            return;
        }
    }
    // A packet we have already (a publisher's redundant resend or probe, a duplicate on the
    // way) goes no further: subscribers would refuse it as a replay anyway, and it would
    // skew the statistics.
    if (!publication->store->find(view.sequence, arrivalMicros).empty()) {
        counters_.droppedDuplicate.add();
        return;
    }
    // Receiver statistics (RFC 3550 A.1, A.8). A packet far from the sequence (until the
    // next one confirms a restart) is neither counted nor forwarded.
    const auto restartsBefore = publication->incoming->restarts();
    if (!publication->incoming->onPacket(view.sequence, view.timestamp, arrivalMicros)) {
        counters_.droppedMalformed.add();
        return;
    }
    // A sender that restarted its sequence numbers: the holes of the old numbering are not
    // worth asking for, and the new numbering starts clean.
    if (publication->incoming->restarts() != restartsBefore)
        publication->nacks.reset();
    publication->loss.received = publication->incoming->received();
    if (publication->repairLoss) {
        const auto givenUpBefore = publication->nacks.givenUp();
        const auto arrival = publication->nacks.onPacket(view.sequence, arrivalMicros);
        counters_.repairsGivenUp.add(publication->nacks.givenUp() - givenUpBefore);
        switch (arrival) {
        case NackGenerator::Arrival::Gap:
            p.holesIn += publication->nacks.lastSkipped();
            sendNacks(*publication, arrivalMicros);
            break;
        case NackGenerator::Arrival::Recovered:
            counters_.packetsRecovered.add();
            p.slowestRepairMicros = std::max(p.slowestRepairMicros, publication->nacks.lastRepairMicros());
            break;
        case NackGenerator::Arrival::KeyframeNeeded:
            p.holesIn += publication->nacks.lastSkipped();
            keyframes_.request(*publication, arrivalMicros);
            break;
        case NackGenerator::Arrival::InOrder:
            break;
        }
    }
    // A moderator's mute drops it here: counted and tracked above, so an unmute does not
    // look like a hole to repair.
    if (publication->video ? p.videoMuted : p.audioMuted) {
        counters_.droppedMuted.add();
        return;
    }
    publication->store->store(view.sequence, packet, arrivalMicros);
    if (publication->video &&
        startsKeyframe(publication->codec, packet.subspan(view.payloadOffset, view.payloadLength)))
        publication->keyframes.onKeyframe();
    RecordingTaps::copyRtp(*publication, packet, arrivalMicros);

    for (auto& stream : publication->outgoing) {
        if (!sender_.sendRtp(*stream.subscriber, packet, view, stream.ssrc, stream.payloadType,
                             PlayoutDelayPolicy::extension(stream)))
            continue;
        ++stream.packets;
        stream.octets += static_cast<std::uint32_t>(view.payloadLength);
        counters_.forwarded.add();
    }
}

void RtpForwarder::answerNack(Participant& subscriber, const Subscription& subscription,
                              std::span<const std::uint8_t> fci, std::int64_t nowMicros)
{
    auto& publication = *subscription.publication;
    auto* stream = publication.outgoingTo(subscriber, subscription.ssrc);
    if (!stream || !subscriber.reachable() || !publication.store)
        return;
    forEachNackedSequence(fci, kMaxNackedPerPacket, [&](std::uint16_t sequence) {
        ++subscriber.nackedOut;
        if (subscriber.retransmitBudget <= 0) {
            counters_.retransmitsRefused.add();
            return;
        }
        const auto stored = publication.store->find(sequence, nowMicros);
        RtpView view;
        if (stored.empty() || !parseRtp(stored, view)) {
            counters_.nackMisses.add();
            return;
        }
        const bool sent = stream->rtxSsrc != 0
                              ? sender_.sendRtx(subscriber, stored, view, stream->rtxSsrc, stream->rtxPayloadType,
                                                stream->rtxSequence++)
                              : sender_.sendRtp(subscriber, stored, view, stream->ssrc, stream->payloadType);
        if (!sent)
            return;
        --subscriber.retransmitBudget;
        counters_.retransmitted.add();
    });
}

void RtpForwarder::sendNacks(Publication& publication, std::int64_t nowMicros)
{
    auto& owner = *publication.owner;
    if (!publication.repairLoss || publication.nacks.missing() == 0 || !owner.reachable())
        return;
    std::uint8_t fci[4 * kMaxNackEntries];
    const auto askedBefore = publication.nacks.asked();
    const auto givenUpBefore = publication.nacks.givenUp();
    const auto length = publication.nacks.collect(nowMicros, owner.rttMicros, fci);
    // (Given up here: asked ten times.)
    counters_.repairsGivenUp.add(publication.nacks.givenUp() - givenUpBefore);
    if (length == 0)
        return;
    std::uint8_t nack[12 + sizeof fci];
    const auto written = writeRtcpNack(nack, owner.rtcpSsrc, publication.ssrc, {fci, length});
    sender_.sendRtcp(owner, {nack, written});
    counters_.nacksSent.add(publication.nacks.asked() - askedBefore);
}

} // namespace parley::router
