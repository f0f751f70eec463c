#include <parley/router/packet_kind.h>
#include <parley/router/rtcp_packet.h>

#include <catch2/catch.hpp>

#include <random>
#include <vector>

using namespace parley::router;
using Bytes = std::vector<std::uint8_t>;

TEST_CASE("RTCP: a compound SR + SDES + PLI is walked packet by packet")
{
    Bytes compound{
        0x80, 200, 0x00, 0x06, 0x11, 0x11, 0x11, 0x11, // SR, no blocks, sender 0x11111111
        0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5,
        0x81, 202, 0x00, 0x02, 0x11, 0x11, 0x11, 0x11, 0x01, 0x00, 0x00, 0x00, // SDES, empty CNAME
    };
    Bytes pli(12);
    REQUIRE(writeRtcpPli(pli, 0x22222222, 0x33333333) == 12);
    compound.insert(compound.end(), pli.begin(), pli.end());
    CHECK(classify(compound) == PacketKind::Rtcp);

    std::vector<RtcpView> seen;
    REQUIRE(forEachRtcp(compound, [&](const RtcpView& v) { seen.push_back(v); }));
    REQUIRE(seen.size() == 3);
    CHECK(seen[0].type == kRtcpSenderReport);
    CHECK(seen[0].senderSsrc() == 0x11111111);
    CHECK(seen[0].mediaSsrc() == 0);
    CHECK(seen[1].type == kRtcpSourceDescription);
    CHECK(seen[2].type == kRtcpPayloadFeedback);
    CHECK(seen[2].count == 1);
    CHECK(seen[2].senderSsrc() == 0x22222222);
    CHECK(seen[2].mediaSsrc() == 0x33333333);

    // Rewriting the media SSRC of the PLI in place.
    writeRtcp32(compound, seen[2].offset + 8, 0x44444444);
    std::uint32_t media = 0;
    forEachRtcp(compound, [&](const RtcpView& v) {
        if (v.type == kRtcpPayloadFeedback)
            media = v.mediaSsrc();
    });
    CHECK(media == 0x44444444);
}

TEST_CASE("RTCP: receiver reports we write are read back")
{
    Bytes out(200);
    const ReportBlock blocks[2] = {{0xaaaa0001, 12, 300, 70000, 99, 0x12345678, 65536},
                                   {0xaaaa0002, 0, 0, 5, 0, 0, 0}};
    const auto length = writeRtcpReceiverReport(out, 0x01010101, blocks);
    REQUIRE(length == 56);
    out.resize(length);
    int count = 0;
    REQUIRE(forEachRtcp(out, [&](const RtcpView& v) {
        CHECK(v.type == kRtcpReceiverReport);
        CHECK(v.count == 2);
        CHECK(v.senderSsrc() == 0x01010101);
        ++count;
    }));
    CHECK(count == 1);
    CHECK(out[8] == 0xaa);
    CHECK(out[12] == 12); // fraction lost
    Bytes small(10);
    CHECK(writeRtcpReceiverReport(small, 1, blocks) == 0);
    Bytes tooSmall(11);
    CHECK(writeRtcpPli(tooSmall, 1, 2) == 0);
}

TEST_CASE("RTCP: report blocks of receiver and sender reports are read back, and short ones refused")
{
    const std::vector<ReportBlock> blocks{{0xaaaaaaaa, 12, 0x123456, 70000, 9, 0x11223344, 65536},
                                          {0xbbbbbbbb, 255, 1, 2, 3, 4, 5}};
    Bytes out(8 + 24 * 2);
    REQUIRE(writeRtcpReceiverReport(out, 0x01010101, blocks) == out.size());
    const auto view = nextRtcp(out, 0);
    REQUIRE(view);
    const auto first = reportBlock(*view, 0);
    const auto second = reportBlock(*view, 1);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->ssrc == 0xaaaaaaaa);
    CHECK(first->fractionLost == 12);
    CHECK(first->cumulativeLost == 0x123456);
    CHECK(first->highestSequence == 70000);
    CHECK(first->jitter == 9);
    CHECK(first->lastSenderReport == 0x11223344);
    CHECK(first->delaySinceSenderReport == 65536);
    CHECK(second->fractionLost == 255);
    CHECK_FALSE(reportBlock(*view, 2));

    // A sender report's blocks follow its 20 bytes of sender information.
    Bytes sr(28 + 24, 0);
    sr[0] = 0x81;
    sr[1] = kRtcpSenderReport;
    sr[3] = static_cast<std::uint8_t>(sr.size() / 4 - 1);
    sr[28] = 0xcc;
    sr[32] = 77;
    const auto srView = nextRtcp(sr, 0);
    REQUIRE(srView);
    REQUIRE(reportBlock(*srView, 0));
    CHECK(reportBlock(*srView, 0)->ssrc >> 24 == 0xcc);
    CHECK(reportBlock(*srView, 0)->fractionLost == 77);

    // A view that claims more blocks than its bytes hold, or another type, gives nothing.
    RtcpView lying{kRtcpReceiverReport, 3, std::span<const std::uint8_t>(out.data(), 8 + 24), 0};
    CHECK(reportBlock(lying, 0));
    CHECK_FALSE(reportBlock(lying, 1));
    RtcpView pli{kRtcpPayloadFeedback, 1, std::span<const std::uint8_t>(out), 0};
    CHECK_FALSE(reportBlock(pli, 0));
}

TEST_CASE("RTCP: hostile compound packets stop the walk without reading outside")
{
    int visits = 0;
    const auto count = [&](const RtcpView&) { ++visits; };
    CHECK_FALSE(forEachRtcp(Bytes{0x80, 200, 0x00, 0x06, 1, 2, 3, 4}, count)); // length past end
    CHECK_FALSE(forEachRtcp(Bytes{0x40, 201, 0x00, 0x01, 1, 2, 3, 4}, count)); // version 1
    CHECK_FALSE(forEachRtcp(Bytes{0x81, 201, 0x00, 0x01, 1, 2, 3, 4}, count)); // RR claims a block it lacks
    CHECK_FALSE(forEachRtcp(Bytes{0x81, 206, 0x00, 0x01, 1, 2, 3, 4}, count)); // PLI without media SSRC
    CHECK_FALSE(forEachRtcp(Bytes{0x80, 201, 0x00}, count));
    CHECK(visits == 0);

    std::mt19937 random(4585);
    for (int i = 0; i < 50000; ++i) {
        Bytes noise(random() % 80);
        for (auto& byte : noise)
            byte = static_cast<std::uint8_t>(random());
        if (!noise.empty())
            noise[0] = static_cast<std::uint8_t>(0x80 | (noise[0] & 0x1f));
        if (noise.size() > 3)
            noise[2] = 0;
        forEachRtcp(noise, [&](const RtcpView& v) {
            CHECK(v.offset + v.bytes.size() <= noise.size());
            v.senderSsrc();
            v.mediaSsrc();
            for (std::size_t b = 0; b < 32; ++b)
                if (const auto block = reportBlock(v, b))
                    CHECK(8 + 24 * (b + 1) <= v.bytes.size());
        });
    }
}

TEST_CASE("a sender report is written and read back, and a short or foreign packet has no sender information",
          "[router]")
{
    std::uint8_t out[28];
    const SenderInfo info{0x01020304, 0x1122334455667788ull, 0xaabbccdd, 7, 7000};
    REQUIRE(writeRtcpSenderReport(out, info) == 28);
    CHECK(writeRtcpSenderReport(std::span<std::uint8_t>(out, 27), info) == 0);
    std::size_t at = 0;
    const auto view = nextRtcp(out, at);
    REQUIRE(view);
    const auto read = senderInfo(*view);
    REQUIRE(read);
    CHECK(read->ssrc == info.ssrc);
    CHECK(read->ntp == info.ntp);
    CHECK(read->rtpTimestamp == info.rtpTimestamp);
    CHECK(read->packetCount == 7);
    CHECK(read->octetCount == 7000);
    // A receiver report has none; nor has a sender report cut short.
    std::uint8_t receiver[8];
    REQUIRE(writeRtcpReceiverReport(receiver, 1, {}) == 8);
    at = 0;
    CHECK_FALSE(senderInfo(*nextRtcp(receiver, at)));
    RtcpView cut = *view;
    cut.bytes = cut.bytes.first(20);
    CHECK_FALSE(senderInfo(cut));
}
