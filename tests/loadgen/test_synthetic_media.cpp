#include <parley/loadgen/media_clip.h>
#include <parley/loadgen/synthetic_media.h>
#include <parley/router/keyframe_detection.h>
#include <parley/router/rtp_packet.h>
#include <parley/router/vp8_descriptor.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <vector>

using namespace parley::loadgen;

namespace {

std::span<const std::uint8_t> payloadOf(const OutgoingPacket& packet, parley::router::RtpView& view)
{
    REQUIRE(parley::router::parseRtp({packet.bytes.data(), packet.length}, view));
    return {packet.bytes.data() + view.payloadOffset, view.payloadLength};
}

} // namespace

TEST_CASE("Load generator: made-up VP8 frames are a browser's in shape, a keyframe first and on request, the send time in every packet")
{
    SyntheticVideo video(0x11223344, 96, 1'500'000, 30, 1280, 720);
    std::vector<OutgoingPacket> packets(SyntheticVideo::kMaxPacketsPerFrame);
    CHECK(video.frameInterval() == std::chrono::nanoseconds(33'333'333));

    auto frame = [&](std::int64_t now) {
        const auto count = video.nextFrame(packets, now);
        REQUIRE(count >= 1);
        std::size_t bytes = 0;
        std::uint16_t firstSequence = 0;
        std::uint32_t timestamp = 0;
        for (std::size_t i = 0; i < count; ++i) {
            parley::router::RtpView view;
            const auto payload = payloadOf(packets[i], view);
            CHECK(packets[i].length <= kMaxRtpPacket);
            CHECK(view.ssrc == 0x11223344);
            CHECK(view.payloadType == 96);
            CHECK(view.marker == (i + 1 == count));
            if (i == 0) {
                firstSequence = view.sequence;
                timestamp = view.timestamp;
            }
            CHECK(view.sequence == static_cast<std::uint16_t>(firstSequence + i));
            CHECK(view.timestamp == timestamp);
            parley::router::Vp8Descriptor descriptor;
            REQUIRE(parley::router::parseVp8Descriptor(payload, descriptor));
            CHECK(descriptor.startOfPartition == (i == 0));
            CHECK(descriptor.longPictureId);
            // Every packet of a made-up frame carries the send time.
            CHECK(readSendTime(payload) == now);
            bytes += payload.size() - descriptor.dataOffset;
        }
        return std::make_pair(count, bytes);
    };

    // The first frame is a keyframe the router recognises, declaring its size; about six
    // times a mean frame (1,500,000 / 8 / 30 = 6,250 bytes).
    const auto [keyPackets, keyBytes] = frame(1000);
    parley::router::RtpView view;
    const auto first = payloadOf(packets[0], view);
    CHECK(parley::router::startsKeyframe("VP8", first));
    CHECK(startsVp8Keyframe(first));
    CHECK(parley::router::vp8KeyframeSize(first).width == 1280);
    CHECK(parley::router::vp8KeyframeSize(first).height == 720);
    CHECK(keyBytes >= 6 * 6250);
    CHECK(keyPackets >= 32);
    CHECK(video.keyframesSent() == 1);

    // Then delta frames, averaging the rate over their 8-frame pattern.
    std::size_t deltaBytes = 0;
    for (int i = 0; i < 8; ++i) {
        deltaBytes += frame(2000 + i).second;
        CHECK_FALSE(startsVp8Keyframe(payloadOf(packets[0], view)));
    }
    CHECK(deltaBytes / 8 >= 6250);
    CHECK(deltaBytes / 8 <= 6250 + 16);

    // A request makes the next frame a keyframe again, with continuous numbering.
    video.requestKeyframe();
    frame(3000);
    CHECK(startsVp8Keyframe(payloadOf(packets[0], view)));
    CHECK(video.keyframesSent() == 2);
}

TEST_CASE("Load generator: Opus packets carry the send time in padding a decoder skips")
{
    SyntheticAudio audio(0x55667788, 111, 40'000);
    OutgoingPacket packet;
    audio.nextPacket(packet, 42);
    parley::router::RtpView view;
    const auto payload = payloadOf(packet, view);
    const auto firstTimestamp = view.timestamp;
    // Code 3, one frame, padding flag; 12 bytes of padding at the end (RFC 6716 3.2.5).
    CHECK((payload[0] & 0x03) == 3);
    CHECK(payload[1] == 0x41);
    CHECK(payload[2] == kSendTimeTrailerBytes);
    CHECK(payload.size() == 3 + 100 + kSendTimeTrailerBytes);
    CHECK(readSendTime(payload) == 42);
    audio.nextPacket(packet, 43);
    payloadOf(packet, view);
    CHECK(view.timestamp == firstTimestamp + 960);
}

TEST_CASE("Load generator: a send-time trailer is read back only where it was written")
{
    std::vector<std::uint8_t> bytes(40, 0);
    writeSendTime(bytes, 0x0102030405060708);
    CHECK(readSendTime(bytes) == 0x0102030405060708);
    CHECK_FALSE(readSendTime(std::span<const std::uint8_t>(bytes).first(39)));
    CHECK_FALSE(readSendTime(std::span<const std::uint8_t>(bytes).first(5)));
    bytes[30] ^= 1; // the magic
    CHECK_FALSE(readSendTime(bytes));
}

TEST_CASE("Load generator: a clip's real VP8 frames are sent whole and in order, and a keyframe request restarts it")
{
    // A WebM clip as docs/benchmarks.md makes one, short.
    const auto file = std::filesystem::temp_directory_path() / ("parley-loadgen-clip-" + std::to_string(::getpid()) + ".webm");
    const std::string command = "ffmpeg -loglevel error -y -f lavfi -i testsrc2=s=320x180:r=30 -f lavfi -i "
                                "sine=frequency=440:sample_rate=48000 -t 1 -c:v libvpx -b:v 300k -deadline realtime "
                                "-cpu-used 8 -g 1000 -auto-alt-ref 0 -c:a libopus -b:a 32k -ac 1 -frame_duration 20 '" +
                                file.string() + "'";
    REQUIRE(std::system(command.c_str()) == 0);
    const auto clip = loadMediaClip(file.string());
    std::filesystem::remove(file);
    CHECK(clip.width == 320);
    CHECK(clip.height == 180);
    CHECK(clip.fps == 30);
    REQUIRE(clip.video.size() == 30);
    CHECK(clip.video[0].keyframe);
    CHECK_FALSE(clip.video[1].keyframe);
    CHECK(clip.audio.size() >= 49);

    SyntheticVideo video(7, 96, 0, 0, 0, 0, &clip);
    std::vector<OutgoingPacket> packets(SyntheticVideo::kMaxPacketsPerFrame);
    auto reassemble = [&] {
        const auto count = video.nextFrame(packets, 5);
        std::vector<std::uint8_t> data;
        for (std::size_t i = 0; i < count; ++i) {
            parley::router::RtpView view;
            const auto payload = payloadOf(packets[i], view);
            parley::router::Vp8Descriptor descriptor;
            REQUIRE(parley::router::parseVp8Descriptor(payload, descriptor));
            data.insert(data.end(), payload.begin() + static_cast<std::ptrdiff_t>(descriptor.dataOffset), payload.end());
        }
        for (std::size_t i = 0; i + 1 < count; ++i) {
            parley::router::RtpView view;
            CHECK_FALSE(readSendTime(payloadOf(packets[i], view))); // the frame's data, untouched
        }
        // The frame as the file holds it, then the trailer.
        REQUIRE(data.size() >= kSendTimeTrailerBytes);
        CHECK(readSendTime(data) == 5);
        data.resize(data.size() - kSendTimeTrailerBytes);
        return data;
    };
    CHECK(reassemble() == clip.video[0].data);
    CHECK(reassemble() == clip.video[1].data);
    CHECK(reassemble() == clip.video[2].data);
    video.requestKeyframe();
    CHECK(reassemble() == clip.video[0].data);
    CHECK(video.keyframesSent() == 2);

    // Audio: the clip's Opus frame after the TOC, in a padded one-frame packet.
    SyntheticAudio audio(8, 111, 0, &clip);
    OutgoingPacket packet;
    audio.nextPacket(packet, 6);
    parley::router::RtpView view;
    const auto payload = payloadOf(packet, view);
    REQUIRE((clip.audio[0].data[0] & 0x03) == 0);
    CHECK(payload[0] == (clip.audio[0].data[0] | 0x03));
    CHECK(std::vector<std::uint8_t>(payload.begin() + 3, payload.end() - kSendTimeTrailerBytes) ==
          std::vector<std::uint8_t>(clip.audio[0].data.begin() + 1, clip.audio[0].data.end()));
}

TEST_CASE("Load generator: a file that is not a VP8 clip is refused with the reason")
{
    const auto file = std::filesystem::temp_directory_path() / ("parley-loadgen-bad-" + std::to_string(::getpid()) + ".webm");
    {
        std::ofstream out(file);
        out << "this is not a media file at all";
    }
    CHECK_THROWS_WITH(loadMediaClip(file.string()), Catch::Contains("not a media file") || Catch::Contains("cannot open"));
    std::filesystem::remove(file);
    CHECK_THROWS_WITH(loadMediaClip("/nonexistent/clip.webm"), Catch::Contains("cannot open the media clip"));
}
