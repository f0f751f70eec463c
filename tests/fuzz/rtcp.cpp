// RTCP as the router reads it from publishers and subscribers (after SRTP): compound
// packets, sender and receiver reports, generic NACKs, transport-wide feedback, and the
// send-side estimator fed with that feedback. Checked besides not crashing: each packet's
// view lies inside the compound and they follow one another; a NACK names at most the limit
// asked; feedback yields at most the statuses asked and the estimate stays within its
// bounds; report blocks written back from what was read read the same again.
#include "fuzz_input.h"

#include <parley/router/packet_store.h>
#include <parley/router/rtcp_packet.h>
#include <parley/router/send_side_estimator.h>
#include <parley/router/twcc_feedback.h>

#include <array>
#include <vector>

using namespace parley::router;
using parley::fuzz::require;
using parley::fuzz::within;

namespace {

constexpr std::size_t kNackLimit = 64;
constexpr std::size_t kStatusLimit = 400;

void checkReports(const RtcpView& packet)
{
    std::vector<ReportBlock> blocks;
    for (std::size_t i = 0; i < 32; ++i)
        if (const auto block = reportBlock(packet, i))
            blocks.push_back(*block);
    require(blocks.size() <= packet.count, "more report blocks than the packet counts");
    if (const auto info = senderInfo(packet)) {
        std::array<std::uint8_t, kRtcpSenderReportBytes> out{};
        require(writeRtcpSenderReport(out, *info) == out.size(), "a sender report was not written");
        const auto again = nextRtcp(out, 0);
        require(again && senderInfo(*again) && senderInfo(*again)->ntp == info->ntp &&
                    senderInfo(*again)->rtpTimestamp == info->rtpTimestamp,
                "a sender report written back reads differently");
    }
    if (blocks.empty())
        return;
    std::array<std::uint8_t, 8 + 31 * 24> out{};
    const auto length = writeRtcpReceiverReport(out, packet.senderSsrc(), blocks);
    require(length == 8 + 24 * blocks.size(), "a receiver report was not written");
    const auto again = nextRtcp(std::span<const std::uint8_t>(out.data(), length), 0);
    require(again.has_value(), "a receiver report written back does not parse");
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        const auto block = reportBlock(*again, i);
        require(block && block->ssrc == blocks[i].ssrc && block->fractionLost == blocks[i].fractionLost &&
                    block->cumulativeLost == blocks[i].cumulativeLost && block->jitter == blocks[i].jitter &&
                    block->lastSenderReport == blocks[i].lastSenderReport &&
                    block->delaySinceSenderReport == blocks[i].delaySinceSenderReport,
                "a report block written back reads differently");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::span<const std::uint8_t> compound(data, size);
    std::size_t expectedOffset = 0;
    SendSideEstimator estimator;
    // What the estimator would have sent: feedback names these sequence numbers.
    for (int i = 0; i < 300; ++i)
        estimator.onSent(1200, 1'000'000 + i * 1000, i % 50 == 0);
    std::int64_t now = 1'400'000;
    forEachRtcp(compound, [&](const RtcpView& packet) {
        require(within(packet.bytes, compound) && packet.offset == expectedOffset && packet.bytes.size() >= 4,
                "an RTCP packet's view is not where the previous one ended");
        expectedOffset += packet.bytes.size();
        packet.senderSsrc();
        packet.mediaSsrc();
        checkReports(packet);
        if (packet.type == kRtcpTransportFeedback && packet.count == 1 && packet.bytes.size() >= 12) {
            std::size_t named = 0;
            const auto visited = forEachNackedSequence(packet.bytes.subspan(12), kNackLimit, [&](std::uint16_t) { ++named; });
            require(visited == named && named <= kNackLimit, "a NACK named more than the limit");
        }
        if (packet.type == kRtcpTransportFeedback && packet.count == 15) {
            std::size_t statuses = 0;
            forEachTwccStatus(packet.bytes, kStatusLimit, [&](const TwccPacketStatus&) { ++statuses; });
            require(statuses <= kStatusLimit, "feedback gave more statuses than the limit");
            now += 50'000;
            estimator.onFeedback(packet.bytes, now);
            require(estimator.estimate() >= SendSideEstimator::kMinBps && estimator.estimate() <= SendSideEstimator::kMaxBps,
                    "the estimate left its bounds");
        }
    });
    return 0;
}
