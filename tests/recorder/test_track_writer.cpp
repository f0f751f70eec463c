#include "child_process.h"
#include "temp_dir.h"

#include <parley/recorder/track_writer.h>

extern "C" {
#include <libavformat/avformat.h>
}

#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <fcntl.h>
#include <string>
#include <unistd.h>

using namespace parley::recorder;
using parley::test::TempDir;
using parley::test::shellOutput;

namespace {


/// Copies every packet of `input` (one stream, encoded by the ffmpeg tool) through a
/// TrackWriter into `output`, as the recorder will with depacketized frames.
std::uint64_t copyThroughWriter(const std::string& input, const std::string& output, TrackCodec codec)
{
    AVFormatContext* source = nullptr;
    REQUIRE(avformat_open_input(&source, input.c_str(), nullptr, nullptr) == 0);
    REQUIRE(avformat_find_stream_info(source, nullptr) >= 0);
    const AVStream* stream = source->streams[0];
    const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    std::uint64_t written = 0;
    {
        TrackWriter writer(fd, output, codec, stream->codecpar->width, stream->codecpar->height);
        AVPacket* packet = av_packet_alloc();
        while (av_read_frame(source, packet) >= 0) {
            const auto ms = av_rescale_q(packet->pts, stream->time_base, {1, 1000});
            writer.write({packet->data, static_cast<std::size_t>(packet->size)}, ms,
                         (packet->flags & AV_PKT_FLAG_KEY) != 0);
            av_packet_unref(packet);
        }
        av_packet_free(&packet);
        writer.finish();
        written = writer.framesWritten();
        CHECK_THROWS_AS(writer.write(std::vector<std::uint8_t>{1}, 99999, true), std::logic_error);
    }
    avformat_close_input(&source);
    return written;
}

} // namespace

TEST_CASE("VP8 and Opus frames are written to WebM files ffprobe reads and ffmpeg decodes cleanly", "[recorder]")
{
    TempDir dir;
    const auto video = (dir / "in-video.webm").string();
    const auto audio = (dir / "in-audio.webm").string();
    REQUIRE(shellOutput("ffmpeg -v error -f lavfi -i testsrc=size=320x240:rate=30 -t 2 -c:v libvpx -b:v 300k " + video)
                .empty());
    REQUIRE(shellOutput("ffmpeg -v error -f lavfi -i sine=frequency=440:sample_rate=48000 -ac 2 -t 2 -c:a libopus " + audio)
                .empty());

    const auto videoOut = (dir / "track-video.webm").string();
    const auto audioOut = (dir / "track-audio.webm").string();
    CHECK(copyThroughWriter(video, videoOut, TrackCodec::Vp8) == 60);
    CHECK(copyThroughWriter(audio, audioOut, TrackCodec::Opus) >= 100);

    const auto videoInfo = shellOutput("ffprobe -v error -show_entries stream=codec_name,width,height:format=duration "
                               "-of default=nw=1 " + videoOut);
    INFO(videoInfo);
    CHECK(videoInfo.find("codec_name=vp8") != std::string::npos);
    CHECK(videoInfo.find("width=320") != std::string::npos);
    CHECK(videoInfo.find("height=240") != std::string::npos);
    const auto duration = std::stod(videoInfo.substr(videoInfo.find("duration=") + 9));
    CHECK(duration == Approx(2.0).margin(0.1));

    const auto audioInfo = shellOutput("ffprobe -v error -show_entries stream=codec_name,sample_rate,channels:format=duration "
                               "-of default=nw=1 " + audioOut);
    INFO(audioInfo);
    CHECK(audioInfo.find("codec_name=opus") != std::string::npos);
    CHECK(audioInfo.find("sample_rate=48000") != std::string::npos);
    CHECK(std::stod(audioInfo.substr(audioInfo.find("duration=") + 9)) == Approx(2.0).margin(0.1));

    // Decoding the whole files reports nothing wrong, and the tone is still a tone.
    CHECK(shellOutput("ffmpeg -v error -i " + videoOut + " -f null -").empty());
    CHECK(shellOutput("ffmpeg -v error -i " + audioOut + " -f null -").empty());
    const auto volume = shellOutput("ffmpeg -i " + audioOut + " -af volumedetect -f null - ");
    const auto at = volume.find("mean_volume: ");
    REQUIRE(at != std::string::npos);
    CHECK(std::stod(volume.substr(at + 13)) > -40.0); // the sine is about -21 dB; silence is -91
}

TEST_CASE("frames going back in time are refused, and a VP8 track needs its size", "[recorder]")
{
    TempDir dir;
    const int fd = ::open((dir / "t.webm").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    TrackWriter writer(fd, "t.webm", TrackCodec::Opus);
    const std::vector<std::uint8_t> frame{0xFC, 0xFF, 0xFE};
    writer.write(frame, 100, true);
    writer.write(frame, 50, true);
    writer.write({}, 200, true);
    CHECK(writer.framesWritten() == 1);
    CHECK(writer.framesRefused() == 2);
    const int other = ::open((dir / "v.webm").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    CHECK_THROWS_AS(TrackWriter(other, "v.webm", TrackCodec::Vp8), std::invalid_argument);
}
