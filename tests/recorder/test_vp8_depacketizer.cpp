#include <parley/recorder/vp8_depacketizer.h>

#include <catch2/catch.hpp>

#include <vector>

using namespace parley::recorder;

namespace {

// A keyframe's first bytes (RFC 6386 9.1): tag with P=0 (keyframe), start code, 320x240.
std::vector<std::uint8_t> keyframeStart()
{
    return {0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00, 0xAA, 0xBB};
}

std::vector<std::uint8_t> withDescriptor(std::vector<std::uint8_t> descriptor, const std::vector<std::uint8_t>& data)
{
    descriptor.insert(descriptor.end(), data.begin(), data.end());
    return descriptor;
}

} // namespace

TEST_CASE("VP8 payload descriptors of every form are parsed, and truncated ones refused", "[recorder]")
{
    Vp8Descriptor d;
    REQUIRE(parseVp8Descriptor(std::vector<std::uint8_t>{0x10, 0xAA}, d));
    CHECK(d.startOfPartition);
    CHECK(d.partitionId == 0);
    CHECK(d.length == 1);
    // X with I (15-bit picture ID), L, T/K: 1 + 1 + 2 + 1 + 1 bytes.
    REQUIRE(parseVp8Descriptor(std::vector<std::uint8_t>{0x90, 0xF0, 0x81, 0x23, 0x05, 0x40, 0xAA}, d));
    CHECK(d.length == 6);
    // 7-bit picture ID.
    REQUIRE(parseVp8Descriptor(std::vector<std::uint8_t>{0x80, 0x80, 0x12, 0xAA}, d));
    CHECK(d.length == 3);
    CHECK(!d.startOfPartition);

    for (const auto& hostile : std::vector<std::vector<std::uint8_t>>{
             {}, {0x10}, {0x80}, {0x90, 0x80}, {0x90, 0x80, 0x81}, {0x90, 0xF0, 0x81, 0x23, 0x05, 0x40}})
        CHECK(!parseVp8Descriptor(hostile, d));
}

TEST_CASE("VP8 frames are reassembled across packets, "
          "and a frame with a lost packet is dropped until a keyframe",
          "[recorder]")
{
    Vp8FrameAssembler assembler;
    CHECK(assembler.needsKeyframe());
    // Keyframe in two packets.
    CHECK(!assembler.push(withDescriptor({0x10}, keyframeStart()), 9000, false, false));
    auto frame = assembler.push(withDescriptor({0x00}, {0xCC, 0xDD}), 9000, true, false);
    REQUIRE(frame);
    CHECK(frame->keyframe);
    CHECK(frame->width == 320);
    CHECK(frame->height == 240);
    CHECK(frame->timestamp == 9000);
    CHECK(frame->data.size() == keyframeStart().size() + 2);
    CHECK(!assembler.needsKeyframe());

    // An inter frame (P=1) in one packet.
    frame = assembler.push(withDescriptor({0x10}, {0x31, 0x00, 0x00, 0x77}), 12000, true, false);
    REQUIRE(frame);
    CHECK(!frame->keyframe);

    // An inter frame whose second packet follows a loss: dropped, and so is the next one.
    CHECK(!assembler.push(withDescriptor({0x10}, {0x31, 0x01}), 15000, false, false));
    CHECK(!assembler.push(withDescriptor({0x00}, {0x02}), 15000, true, true));
    CHECK(assembler.needsKeyframe());
    CHECK(!assembler.push(withDescriptor({0x10}, {0x31, 0x03}), 18000, true, false));
    CHECK(assembler.framesDropped() == 2);

    // The next keyframe heals it.
    frame = assembler.push(withDescriptor({0x10}, keyframeStart()), 21000, true, false);
    REQUIRE(frame);
    CHECK(frame->keyframe);
    CHECK(!assembler.needsKeyframe());
}

TEST_CASE("VP8 packets without a frame start, mixed timestamps or bad keyframes are dropped", "[recorder]")
{
    Vp8FrameAssembler assembler(64);
    // Middle of a frame first.
    CHECK(!assembler.push(withDescriptor({0x00}, {0x01}), 100, true, false));
    // A keyframe whose start code is wrong.
    CHECK(!assembler.push(withDescriptor({0x10}, {0x10, 0x02, 0x00, 0x9d, 0x01, 0x2b, 0, 0, 0, 0}), 200, true, false));
    CHECK(assembler.malformed() == 1);
    // A continuation with another timestamp ends the frame in progress.
    CHECK(!assembler.push(withDescriptor({0x10}, keyframeStart()), 300, false, false));
    CHECK(!assembler.push(withDescriptor({0x00}, {0x01}), 400, true, false));
    // Larger than the limit.
    CHECK(!assembler.push(withDescriptor({0x10}, std::vector<std::uint8_t>(65, 0)), 500, true, false));
    CHECK(assembler.malformed() == 2);
    // Malformed descriptors.
    CHECK(!assembler.push(std::vector<std::uint8_t>{0x80}, 600, true, false));
    CHECK(assembler.malformed() == 3);
    // Still works afterwards.
    CHECK(assembler.push(withDescriptor({0x10}, keyframeStart()), 700, true, false));
}
