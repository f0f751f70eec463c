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
        });
    }
}
