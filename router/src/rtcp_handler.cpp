#include "rtcp_handler.h"

#include "big_endian.h"

#include "layer_switch.h"
#include "recording_taps.h"

#include <parley/router/twcc_feedback.h>

#include <algorithm>

namespace parley::router {
namespace {

// RTPFB and PSFB message types (RFC 4585 6.2, 6.3; RFC 5104 4.3.1).
constexpr std::uint8_t kFormatNack = 1;
constexpr std::uint8_t kFormatPli = 1;
constexpr std::uint8_t kFormatFir = 4;
constexpr std::size_t kFeedbackHeaderBytes = 12;
/// Round trips longer than this are taken for a misreport.
constexpr std::int64_t kMaxRoundTripMicros = 10'000'000;
/// Report blocks in one receiver report (the 5-bit count).
constexpr std::size_t kMaxReportBlocks = 31;


} // namespace

void RtcpHandler::onRtcp(Participant& p, std::span<std::uint8_t> datagram, std::int64_t arrivalMicros)
{
    if (!p.inbound)
        return;
    const auto length = p.inbound->unprotectRtcp(datagram.data(), datagram.size());
    if (length == 0) {
        counters_.droppedAuthentication.add();
        return;
    }
    const bool valid = forEachRtcp(datagram.first(length), [&](const RtcpView& packet) {
        if (packet.type == kRtcpPayloadFeedback && (packet.count == kFormatPli || packet.count == kFormatFir)) {
            // PLI names the media SSRC in the header, FIR in its first FCI entry.
            std::uint32_t media = packet.mediaSsrc();
            if (packet.count == kFormatFir && packet.bytes.size() >= kFeedbackHeaderBytes + 4)
                media = read32(packet.bytes.data() + kFeedbackHeaderBytes);
            if (auto* subscription = p.subscriptionBySsrc(media))
                if (auto* stream = subscription->publication->outgoingTo(p, subscription->ssrc))
                    keyframes_.requestFor(*subscription->publication, stream->layers, arrivalMicros);
        }
        else if (packet.type == kRtcpTransportFeedback && packet.count == kFormatNack) {
            // Answered from the publication's recent packets, not relayed (the router keeps
            // the publisher's sequence numbers, so a resent copy fills the hole).
            if (auto* subscription = p.subscriptionBySsrc(packet.mediaSsrc());
                subscription && packet.bytes.size() > kFeedbackHeaderBytes)
                forwarder_.answerNack(p, *subscription, packet.bytes.subspan(kFeedbackHeaderBytes), arrivalMicros);
        }
        else if (packet.type == kRtcpTransportFeedback && packet.count == kRtcpFormatTransportFeedback) {
            // About what we send it: its bandwidth estimate.
            if (p.estimator) {
                if (p.estimator->onFeedback(packet.bytes, arrivalMicros))
                    counters_.transportFeedbackReceived.add();
                else
                    counters_.droppedMalformed.add();
            }
        }
        else if (packet.type == kRtcpReceiverReport || packet.type == kRtcpSenderReport) {
            // What it says about the streams we send it: the worst one's loss.
            std::uint8_t worst = 0;
            bool any = false;
            for (std::size_t i = 0; i < packet.count; ++i) {
                const auto block = reportBlock(packet, i);
                if (!block)
                    break;
                if (auto* subscription = p.subscriptionBySsrc(block->ssrc)) {
                    worst = std::max(worst, block->fractionLost);
                    any = true;
                    if (auto* stream = subscription->publication->outgoingTo(p, subscription->ssrc))
                        updateRoundTrip(p, *stream, *block, arrivalMicros);
                }
            }
            if (any)
                p.lossPercentOut = worst * 100.0 / 256.0;
        }
        if (packet.type == kRtcpSenderReport)
            if (auto ref = p.layerBySsrc(packet.senderSsrc()))
                onSenderReport(*ref.publication, *ref.layer, packet, arrivalMicros);
    });
    if (!valid)
        counters_.droppedMalformed.add();
}

void RtcpHandler::onSenderReport(Publication& publication, InboundLayer& layer, const RtcpView& report,
                                 std::int64_t arrivalMicros)
{
    const auto info = senderInfo(report);
    if (!info)
        return;
    layer.incoming->onSenderReport(info->ntp, arrivalMicros);
    layer.reportNtp = info->ntp;
    layer.reportRtpTimestamp = info->rtpTimestamp;
    const int index = publication.indexOf(layer);
    RecordingTaps::copySenderReport(publication, index, info->ntp, info->rtpTimestamp, arrivalMicros);
    // Each subscriber of the layer gets the publisher's NTP/RTP pairing under the SSRC and
    // in the RTP time it knows the copy by, with the counts of what it was sent: browsers
    // line audio and video up by it and learn their round trip.
    for (auto& stream : publication.outgoing) {
        if (stream.layers.current != index)
            continue;
        std::uint8_t out[kRtcpSenderReportBytes];
        const auto length = writeRtcpSenderReport(out, {stream.ssrc, info->ntp,
                                                         mappedTimestamp(stream.layers, info->rtpTimestamp),
                                                         stream.packets, stream.octets});
        sender_.sendRtcp(*stream.subscriber, {out, length});
        stream.reportNtpMiddle = static_cast<std::uint32_t>(info->ntp >> 16);
        stream.reportSentAt = arrivalMicros;
    }
}

void RtcpHandler::updateRoundTrip(Participant& p, const OutgoingStream& stream, const ReportBlock& block,
                                  std::int64_t arrivalMicros)
{
    // RFC 3550 6.4.1: round trip = arrival - LSR - DLSR, where LSR must be the report we
    // sent (an older one, or none, tells nothing).
    if (block.lastSenderReport == 0 || block.lastSenderReport != stream.reportNtpMiddle)
        return;
    const auto delay = static_cast<std::int64_t>(block.delaySinceSenderReport) * 1'000'000 / 65536;
    const auto rtt = arrivalMicros - stream.reportSentAt - delay;
    if (rtt <= 0 || rtt > kMaxRoundTripMicros)
        return; // a clock step or a report that lies
    p.rttMicros = p.rttMeasured ? (7 * p.rttMicros + rtt) / 8 : rtt;
    p.rttMeasured = true;
}

void RtcpHandler::sendTransportFeedback(Participant& p)
{
    if (!p.twcc || !p.reachable())
        return;
    const std::uint32_t media =
        p.publications.empty() || p.publications.front()->layers.empty() ? 0 : p.publications.front()->layers.front().ssrc;
    for (auto feedback = p.twcc->nextFeedback(p.rtcpSsrc, media); !feedback.empty();
         feedback = p.twcc->nextFeedback(p.rtcpSsrc, media)) {
        sender_.sendRtcp(p, feedback);
        counters_.transportFeedbackSent.add();
    }
}

void RtcpHandler::sendReceiverReport(Participant& p, std::int64_t nowMicros)
{
    if (!p.reachable() || p.publications.empty())
        return;
    ReportBlock blocks[kMaxReportBlocks];
    std::size_t count = 0;
    for (auto& publication : p.publications)
        for (auto& layer : publication->layers)
            if (layer.incoming && layer.incoming->started() && count < kMaxReportBlocks)
                blocks[count++] = layer.incoming->report(nowMicros);
    if (count == 0)
        return;
    std::uint8_t report[8 + 24 * kMaxReportBlocks];
    const auto length = writeRtcpReceiverReport(report, p.rtcpSsrc, {blocks, count});
    sender_.sendRtcp(p, {report, length});
}

} // namespace parley::router
