// H.264 over RTP (RFC 6184, packetization-mode 1) back into access units, with a real
// libx264 stream packetized as a WebRTC sender does, and hostile payloads.
#include "h264_stream.h"

#include <parley/recorder/h264_depacketizer.h>
#include <parley/recorder/recording_composer.h>
#include <parley/recorder/track_writer.h>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

using namespace parley::recorder;
using namespace parley::test;

TEST_CASE("H.264 access units come back whole from single NAL, STAP-A and FU-A packets and are written to Matroska "
          "that decodes cleanly",
          "[recorder]")
{
    TempDir dir;
    const auto units = encodedStream(dir);
    REQUIRE(units.size() == 30);
    H264FrameAssembler assembler;
    CHECK(assembler.parameterSets().empty());
    const auto output = (dir.path() / "track.mkv").string();
    const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    std::optional<TrackWriter> writer;
    int frames = 0;
    int keyframes = 0;
    bool sawFragments = false;
    for (const auto& unit : units) {
        const auto packets = packetize(unit);
        sawFragments = sawFragments || packets.size() > 2;
        for (const auto& packet : packets) {
            const auto frame = assembler.push(packet.payload, packet.timestamp, packet.marker, false);
            if (!frame)
                continue;
            // The same bytes as the encoder's access unit, start codes normalised.
            CHECK(nalUnits(Bytes(frame->data.begin(), frame->data.end())) == nalUnits(unit.data));
            CHECK(frame->timestamp == unit.timestamp);
            ++frames;
            keyframes += frame->keyframe;
            if (!writer) {
                REQUIRE(frame->keyframe);
                writer.emplace(fd, output, TrackCodec::H264, 320, 240, assembler.parameterSets());
            }
            writer->write(frame->data, frame->timestamp / 90, frame->keyframe);
        }
    }
    CHECK(sawFragments);
    CHECK(frames == 30);
    CHECK(keyframes == 2);
    CHECK(assembler.framesDropped() == 0);
    CHECK(assembler.malformed() == 0);
    CHECK_FALSE(assembler.parameterSets().empty());
    writer->finish();
    writer.reset();

    const auto info = shellOutput("ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 " + output);
    CHECK(info == "h264,320,240\n");
    CHECK(shellOutput("ffmpeg -v error -i " + output + " -f null -").empty());

    // The composer takes H.264 tracks like VP8 ones.
    const int input = ::open(output.c_str(), O_RDONLY | O_CLOEXEC);
    const auto composed = (dir.path() / "composed.webm").string();
    const int out = ::open(composed.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    const auto result = composeRecording({{input, "track.mkv", TrackCodec::H264, 0, 1933}}, out, {});
    ::close(input);
    ::close(out);
    CHECK(result.videoTracks == 1);
    CHECK(result.decodeErrors == 0);
    CHECK(result.framesDecoded == 30);
    CHECK(shellOutput("ffmpeg -v error -i " + composed + " -f null -").empty());
}

TEST_CASE("an H.264 unit missing a packet is dropped with everything up to the next IDR", "[recorder]")
{
    TempDir dir;
    const auto units = encodedStream(dir);
    H264FrameAssembler assembler;
    std::vector<std::uint32_t> delivered;
    bool lost = false;
    bool flagNext = false;
    std::uint64_t unitsCut = 0;
    for (std::size_t i = 0; i < units.size(); ++i) {
        auto packets = packetize(units[i]);
        // Unit 5 (an inter frame) loses its first packet; the reorder buffer flags the
        // next packet that arrives.
        if (i == 5) {
            REQUIRE((packets.front().payload[0] & 0x1f) != 24);
            packets.erase(packets.begin());
            flagNext = true;
            unitsCut = packets.empty() ? 0 : 1;
        }
        for (const auto& packet : packets) {
            if (const auto frame = assembler.push(packet.payload, packet.timestamp, packet.marker, flagNext))
                delivered.push_back(frame->timestamp / 6000);
            if (flagNext)
                lost = assembler.needsKeyframe();
            flagNext = false;
        }
    }
    CHECK(lost);
    std::vector<std::uint32_t> expected;
    for (std::uint32_t i = 0; i < 30; ++i)
        if (i < 5 || i >= 15)
            expected.push_back(i);
    CHECK(delivered == expected);
    CHECK_FALSE(assembler.needsKeyframe());
    // Units 6 to 14 (and unit 5 itself if a part of it arrived).
    CHECK(assembler.framesDropped() == 9 + unitsCut);
}

TEST_CASE("hostile H.264 payloads are dropped and counted, and a good unit after them still comes through", "[recorder]")
{
    TempDir dir;
    const auto units = encodedStream(dir);
    H264FrameAssembler assembler(64 * 1024);
    const std::vector<Bytes> hostile{
        {0x85, 1, 2},                // forbidden bit
        {24, 0x00, 0x10, 0x67},      // STAP-A promising more than it has
        {24, 0x00, 0x00, 0x67, 1},   // STAP-A with an empty unit
        {24, 0x00, 0x02, 0x78, 0x01}, // STAP-A holding an aggregate
        {24, 0x00},                  // STAP-A cut short
        {28, 0x05, 1, 2, 3},         // FU-A middle without a start
        {28, 0xc5, 1, 2, 3},         // FU-A with start and end at once
        {28, 0x9c, 1, 2, 3},         // FU-A of a fragment
        {28, 0x85},                  // FU-A without data
        {25, 1, 2, 3},               // STAP-B
        {26, 1, 2, 3},               // MTAP16
        {27, 1, 2, 3},               // MTAP24
        {29, 0x85, 1},               // FU-B
        {30, 1},
        {31, 1},
        {0, 1},
    };
    std::uint32_t timestamp = 1;
    for (const auto& payload : hostile) {
        INFO("payload type " << (payload[0] & 0x1f));
        CHECK_FALSE(assembler.push(payload, timestamp++, true, false));
    }
    CHECK(assembler.malformed() == hostile.size());
    // Larger than the assembler's limit.
    Bytes huge(70 * 1024, 0x41);
    huge[0] = 0x41;
    CHECK_FALSE(assembler.push(huge, timestamp++, true, false));
    // Inter frames before any IDR are not usable.
    for (const auto& packet : packetize(units[1]))
        CHECK_FALSE(assembler.push(packet.payload, packet.timestamp, packet.marker, false));
    CHECK(assembler.needsKeyframe());
    std::optional<H264Frame> frame;
    for (const auto& packet : packetize(units[0]))
        if (auto got = assembler.push(packet.payload, packet.timestamp + 999, packet.marker, false))
            frame = got;
    REQUIRE(frame);
    CHECK(frame->keyframe);
}
