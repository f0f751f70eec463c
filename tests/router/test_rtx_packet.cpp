#include <parley/router/rtp_packet.h>
#include <parley/router/rtx_packet.h>

#include <catch2/catch.hpp>

#include <vector>

using namespace parley::router;

namespace {

/// An RTX packet (SSRC 0x0a0b0c0d, PT 97, sequence 0x1234) with a one-word header
/// extension, repeating packet `original` with `payload`, and `padding` bytes of padding.
std::vector<std::uint8_t> rtx(std::uint16_t original, std::vector<std::uint8_t> payload, std::uint8_t padding = 0)
{
    std::vector<std::uint8_t> packet{static_cast<std::uint8_t>(0x90 | (padding ? 0x20 : 0)), 97, 0x12, 0x34, 0, 0, 0x30,
                                     0x39, 0x0a, 0x0b, 0x0c, 0x0d, 0xbe, 0xde, 0, 1, 0x10, 0x07, 0, 0,
                                     static_cast<std::uint8_t>(original >> 8), static_cast<std::uint8_t>(original)};
    for (const auto byte : payload) // (insert of an empty range trips GCC 12's -Warray-bounds)
        packet.push_back(byte);
    for (std::uint8_t i = 1; i <= padding; ++i)
        packet.push_back(i == padding ? padding : 0);
    return packet;
}

} // namespace

TEST_CASE("RTX: a resend is restored in place to the packet it repeats")
{
    auto packet = rtx(0xfffe, {1, 2, 3, 4});
    RtpView view;
    REQUIRE(parseRtp(packet, view));
    const auto restored = restoreFromRtx(packet, view, 0x11223344, 96);
    REQUIRE(restored.size() == packet.size() - 2);
    RtpView original;
    REQUIRE(parseRtp(restored, original));
    CHECK(original.sequence == 0xfffe);
    CHECK(original.ssrc == 0x11223344);
    CHECK(original.payloadType == 96);
    CHECK(original.timestamp == 12345);
    CHECK(original.extensionValue(1).size() == 1); // the header extension is kept
    CHECK(std::vector<std::uint8_t>(restored.begin() + static_cast<std::ptrdiff_t>(original.payloadOffset),
                                    restored.end()) == std::vector<std::uint8_t>{1, 2, 3, 4});
}

TEST_CASE("RTX: padding to probe bandwidth and packets too short restore to nothing")
{
    for (auto packet : {rtx(7, {}, 4), rtx(7, {})}) {
        RtpView view;
        REQUIRE(parseRtp(packet, view));
        CHECK(restoreFromRtx(packet, view, 1, 96).empty());
    }
    // Only one byte of the original sequence number.
    std::vector<std::uint8_t> packet{0x80, 97, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x55};
    RtpView view;
    REQUIRE(parseRtp(packet, view));
    CHECK(restoreFromRtx(packet, view, 1, 96).empty());
    // Padded with a payload: the padding stays at the end and still parses.
    auto padded = rtx(9, {5, 6}, 3);
    REQUIRE(parseRtp(padded, view));
    const auto restored = restoreFromRtx(padded, view, 1, 96);
    RtpView original;
    REQUIRE(parseRtp(restored, original));
    CHECK(original.payloadLength == 2);
    CHECK(original.sequence == 9);
}
