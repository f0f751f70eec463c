#include <parley/router/keyframe_detection.h>

#include <catch2/catch.hpp>

#include <vector>

using namespace parley::router;
using Bytes = std::vector<std::uint8_t>;

TEST_CASE("Keyframes: VP8 frame starts with and without the extended descriptor")
{
    CHECK(startsKeyframe("VP8", Bytes{0x10, 0x90, 0x01, 0x9d}));        // S=1, PID 0, P=0
    CHECK_FALSE(startsKeyframe("VP8", Bytes{0x10, 0x91, 0x01, 0x9d}));  // P=1: an inter frame
    CHECK_FALSE(startsKeyframe("VP8", Bytes{0x00, 0x90}));              // not a frame start
    CHECK_FALSE(startsKeyframe("VP8", Bytes{0x11, 0x90}));              // partition 1
    // X with a 15-bit PictureID, TL0PICIDX and TID: the frame header comes after 5 bytes.
    CHECK(startsKeyframe("VP8", Bytes{0x90, 0xe0, 0x81, 0x23, 0x05, 0x40, 0x90}));
    CHECK_FALSE(startsKeyframe("VP8", Bytes{0x90, 0xe0, 0x81, 0x23, 0x05, 0x40, 0x91}));
    // 7-bit PictureID only.
    CHECK(startsKeyframe("VP8", Bytes{0x90, 0x80, 0x23, 0x00}));
}

TEST_CASE("Keyframes: H.264 IDR and SPS alone, in STAP-A and starting an FU-A")
{
    CHECK(startsKeyframe("H264", Bytes{0x65, 0x88}));                 // IDR
    CHECK(startsKeyframe("H264", Bytes{0x67, 0x42}));                 // SPS
    CHECK_FALSE(startsKeyframe("H264", Bytes{0x41, 0x9a}));           // non-IDR slice
    CHECK(startsKeyframe("H264", Bytes{0x78, 0, 2, 0x67, 0x42, 0, 2, 0x68, 0xce})); // STAP-A: SPS, PPS
    CHECK_FALSE(startsKeyframe("H264", Bytes{0x78, 0, 2, 0x41, 0x9a}));
    CHECK(startsKeyframe("H264", Bytes{0x7c, 0x85, 0x88}));           // FU-A start of an IDR
    CHECK_FALSE(startsKeyframe("H264", Bytes{0x7c, 0x05, 0x88}));     // FU-A middle
    CHECK_FALSE(startsKeyframe("H264", Bytes{0x7c, 0x81, 0x88}));     // FU-A start, non-IDR
}

TEST_CASE("Keyframes: truncated and hostile payloads are not keyframes and are read only inside")
{
    for (const auto& payload : {Bytes{}, Bytes{0x90}, Bytes{0x90, 0x80}, Bytes{0x90, 0xc0, 0x81}, Bytes{0x10}}) {
        CHECK_FALSE(startsKeyframe("VP8", payload));
    }
    CHECK_FALSE(startsKeyframe("H264", Bytes{}));
    CHECK_FALSE(startsKeyframe("H264", Bytes{0x7c}));
    CHECK_FALSE(startsKeyframe("H264", Bytes{0x78, 0xff, 0xff, 0x65}));  // STAP-A size past the end
    CHECK_FALSE(startsKeyframe("H264", Bytes{0x78, 0, 0, 0x65}));        // zero size
    CHECK_FALSE(startsKeyframe("opus", Bytes{0x65}));
}
