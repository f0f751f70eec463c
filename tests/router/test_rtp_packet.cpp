#include <parley/router/rtp_packet.h>

#include <catch2/catch.hpp>

#include <random>
#include <vector>

using namespace parley::router;
using Bytes = std::vector<std::uint8_t>;

namespace {

// An Opus packet as Chrome sends it: one-byte extensions mid (id 4, "0") and audio level
// (id 1, voice, -42 dBov), then 3 bytes of payload and 2 bytes of padding.
const Bytes kOpus{
    0xb0, 0x6f, 0x12, 0x34, 0x00, 0x01, 0xe2, 0x40, 0xde, 0xad, 0xbe, 0xef, // V=2 P X, PT 111
    0xbe, 0xde, 0x00, 0x01,                                                 // one-byte, 1 word
    0x40, 0x30, 0x10, 0xaa,                                                 // id4 "0", id1 0xaa
    0x01, 0x02, 0x03,                                                       // payload
    0x00, 0x02};                                                            // padding, count 2

} // namespace

TEST_CASE("RTP: header, one-byte extensions and padding are read")
{
    RtpView view;
    REQUIRE(parseRtp(kOpus, view));
    CHECK(view.payloadType == 111);
    CHECK_FALSE(view.marker);
    CHECK(view.sequence == 0x1234);
    CHECK(view.timestamp == 0x0001e240);
    CHECK(view.ssrc == 0xdeadbeef);
    CHECK(view.extensionProfile == 0xBEDE);
    REQUIRE(view.extensionValue(4).size() == 1);
    CHECK(view.extensionValue(4)[0] == '0');
    REQUIRE(view.extensionValue(1).size() == 1);
    CHECK(view.extensionValue(1)[0] == 0xaa);
    CHECK(view.extensionValue(3).empty());
    CHECK(view.payloadOffset == 20);
    CHECK(view.payloadLength == 3);
}

TEST_CASE("RTP: two-byte extensions")
{
    Bytes packet{0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x10, 0x00, 0x00, 0x02,
                 0x07, 0x03, 'a', 'b', 'c', 0x00, 0x00, 0x00, 0x99};
    RtpView view;
    REQUIRE(parseRtp(packet, view));
    REQUIRE(view.extensionValue(7).size() == 3);
    CHECK(view.extensionValue(7)[2] == 'c');
    CHECK(view.payloadLength == 1);
}

TEST_CASE("RTP: rewriting SSRC, sequence, timestamp and payload type keeps the rest")
{
    auto packet = kOpus;
    writeRtpSsrc(packet, 0x01020304);
    writeRtpSequence(packet, 0xfffe);
    writeRtpTimestamp(packet, 0xa0b0c0d0);
    writeRtpPayloadType(packet, 96);
    RtpView view;
    REQUIRE(parseRtp(packet, view));
    CHECK(view.ssrc == 0x01020304);
    CHECK(view.sequence == 0xfffe);
    CHECK(view.timestamp == 0xa0b0c0d0);
    CHECK(view.payloadType == 96);
    CHECK(Bytes(packet.begin() + 12, packet.end()) == Bytes(kOpus.begin() + 12, kOpus.end()));
}

TEST_CASE("RTP: truncated and inconsistent packets are refused, random bytes never read outside")
{
    RtpView view;
    for (std::size_t n = 0; n < 20; ++n)
        CHECK_FALSE(parseRtp(Bytes(kOpus.begin(), kOpus.begin() + static_cast<std::ptrdiff_t>(n)), view));
    auto bad = kOpus;
    bad[0] = 0x70; // version 1
    CHECK_FALSE(parseRtp(bad, view));
    bad = kOpus;
    bad.back() = 0; // padding count zero
    CHECK_FALSE(parseRtp(bad, view));
    bad = kOpus;
    bad.back() = 200; // padding longer than the packet
    CHECK_FALSE(parseRtp(bad, view));
    bad = kOpus;
    bad[15] = 0x40; // extension of 64 words
    CHECK_FALSE(parseRtp(bad, view));
    bad = kOpus;
    bad[0] = 0x8f; // 15 CSRCs
    CHECK_FALSE(parseRtp(bad, view));
    bad = kOpus;
    bad[16] = 0x4f; // element of 16 bytes inside a 4-byte extension
    REQUIRE(parseRtp(bad, view));
    CHECK(view.extensionValue(4).empty());

    std::mt19937 random(3550);
    for (int i = 0; i < 50000; ++i) {
        Bytes noise(random() % 64);
        for (auto& byte : noise)
            byte = static_cast<std::uint8_t>(random());
        if (!noise.empty())
            noise[0] = static_cast<std::uint8_t>(0x80 | (noise[0] & 0x3f));
        if (parseRtp(noise, view)) {
            CHECK(view.payloadOffset + view.payloadLength <= noise.size());
            for (std::uint8_t id = 1; id < 16; ++id)
                view.extensionValue(id);
        }
    }
}
