// The recorder's whole pipeline without the network: a tap filled as the router fills it
// (RTP packets of real VP8 and Opus streams, reordered, duplicated, one lost; sender reports),
// drained into per-track WebM files that ffprobe reads and ffmpeg decodes without an error.
#include "child_process.h"
#include "h264_stream.h"
#include "temp_dir.h"

#include <parley/recorder/recording_composer.h>
#include <parley/recorder/room_recorder.h>
#include <parley/router/media_tap.h>

extern "C" {
#include <libavformat/avformat.h>
}

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <random>
#include <regex>
#include <sstream>
#include <unistd.h>

using namespace parley;
using parley::test::TempDir;
using parley::test::shellOutput;

namespace {


struct Packet
{
    std::int64_t ms;           ///< media time
    std::uint16_t track;
    std::vector<std::uint8_t> bytes;
};

std::vector<std::uint8_t> rtp(std::uint8_t payloadType, bool marker, std::uint16_t sequence, std::uint32_t timestamp,
                              std::uint32_t ssrc, std::span<const std::uint8_t> payload)
{
    std::vector<std::uint8_t> packet(12 + payload.size());
    packet[0] = 0x80;
    packet[1] = static_cast<std::uint8_t>(payloadType | (marker ? 0x80 : 0));
    for (int i = 0; i < 2; ++i)
        packet[2 + i] = static_cast<std::uint8_t>(sequence >> (8 - 8 * i));
    for (int i = 0; i < 4; ++i) {
        packet[4 + i] = static_cast<std::uint8_t>(timestamp >> (24 - 8 * i));
        packet[8 + i] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
    }
    std::copy(payload.begin(), payload.end(), packet.begin() + 12);
    return packet;
}

/// RTP packets of every frame in `file`, as a WebRTC sender packetizes them: VP8 frames cut
/// into payloads of at most 1000 bytes after a descriptor (RFC 7741), Opus one per packet.
std::vector<Packet> packetize(const std::string& file, std::uint16_t track, bool video)
{
    AVFormatContext* source = nullptr;
    REQUIRE(avformat_open_input(&source, file.c_str(), nullptr, nullptr) == 0);
    REQUIRE(avformat_find_stream_info(source, nullptr) >= 0);
    const AVStream* stream = source->streams[0];
    std::vector<Packet> packets;
    std::uint16_t sequence = video ? 1000 : 5000;
    AVPacket* frame = av_packet_alloc();
    while (av_read_frame(source, frame) >= 0) {
        const auto ms = av_rescale_q(frame->pts, stream->time_base, {1, 1000});
        if (video) {
            const std::uint32_t timestamp = static_cast<std::uint32_t>(ms * 90);
            for (int offset = 0; offset < frame->size; offset += 1000) {
                const int size = std::min(1000, frame->size - offset);
                std::vector<std::uint8_t> payload{static_cast<std::uint8_t>(offset == 0 ? 0x10 : 0x00)};
                payload.insert(payload.end(), frame->data + offset, frame->data + offset + size);
                packets.push_back({ms, track, rtp(96, offset + size >= frame->size, sequence++, timestamp, 2222, payload)});
            }
        }
        else
            packets.push_back({ms, track, rtp(111, false, sequence++, static_cast<std::uint32_t>(ms * 48), 1111,
                                              {frame->data, static_cast<std::size_t>(frame->size)})});
        av_packet_unref(frame);
    }
    av_packet_free(&frame);
    avformat_close_input(&source);
    return packets;
}

std::int64_t nowMicros()
{
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void push(router::MediaTap& tap, router::TapEntry::Kind kind, std::uint16_t track, std::span<const std::uint8_t> data,
          std::int64_t arrival, std::uint64_t ntp = 0, std::uint32_t rtpTimestamp = 0)
{
    router::TapEntry* entry = nullptr;
    while (!(entry = tap.claim()))
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    entry->kind = kind;
    entry->track = track;
    entry->length = static_cast<std::uint16_t>(data.size());
    if (!data.empty())
        std::memcpy(entry->data.data(), data.data(), data.size());
    entry->arrival = arrival;
    entry->ntp = ntp;
    entry->rtpTimestamp = rtpTimestamp;
    tap.publish();
}

void pushText(router::MediaTap& tap, std::uint16_t track, const std::string& text, std::int64_t arrival)
{
    push(tap, router::TapEntry::Kind::TrackAdded, track,
         {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, arrival);
}

/// The recorder's file factory for files in `dir`.
recorder::RoomRecorder::FileFactory filesIn(const TempDir& dir)
{
    return [&dir](const std::string& name) {
        const int fd = ::open((dir / name).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            throw std::runtime_error("cannot create " + name);
        return fd;
    };
}

} // namespace

TEST_CASE("a room's Opus and VP8 tracks are recorded from the tap into WebM files without transcoding", "[recorder]")
{
    TempDir dir;
    const auto videoIn = (dir / "video-in.webm").string();
    const auto audioIn = (dir / "audio-in.webm").string();
    REQUIRE(shellOutput("ffmpeg -v error -f lavfi -i testsrc=size=320x240:rate=30 -t 2 -c:v libvpx -g 15 -b:v 300k " +
                videoIn).empty());
    REQUIRE(shellOutput("ffmpeg -v error -f lavfi -i sine=frequency=440:sample_rate=48000 -ac 2 -t 2 -c:a libopus " +
                audioIn).empty());
    auto packets = packetize(audioIn, 0, false);
    const auto video = packetize(videoIn, 1, true);
    packets.insert(packets.end(), video.begin(), video.end());
    std::stable_sort(packets.begin(), packets.end(), [](const Packet& a, const Packet& b) { return a.ms < b.ms; });
    // The network's doing: neighbours swapped, one packet twice, one video packet lost.
    for (std::size_t i = 10; i + 1 < packets.size(); i += 37)
        std::swap(packets[i], packets[i + 1]);
    packets.insert(packets.begin() + 50, packets[49]);
    const auto lost = std::find_if(packets.begin() + packets.size() / 2, packets.end(),
                                   [](const Packet& p) { return p.track == 1; });
    packets.erase(lost);

    auto tap = std::make_shared<router::MediaTap>(8192);
    std::mutex requestsMutex;
    std::vector<std::string> keyframeRequests;
    recorder::RoomRecorder recorder(
        tap,
        filesIn(dir),
        [&](const std::string& track) {
            std::lock_guard lock(requestsMutex);
            keyframeRequests.push_back(track);
        });

    const std::int64_t start = nowMicros();
    pushText(*tap, 0, "alice/0 audio opus 48000", start);
    pushText(*tap, 1, "alice/1 video VP8 90000", start);
    // One sender clock for both: NTP 3900000000 s at RTP 0 of each.
    const std::uint64_t ntp = 3900000000ull << 32;
    push(*tap, router::TapEntry::Kind::SenderReport, 0, {}, start + 1000, ntp, 0);
    push(*tap, router::TapEntry::Kind::SenderReport, 1, {}, start + 1000, ntp, 0);
    for (const auto& packet : packets)
        push(*tap, router::TapEntry::Kind::Rtp, packet.track, packet.bytes, start + packet.ms * 1000);
    const auto tracks = recorder.stop();
    CHECK(recorder.error().empty());
    CHECK(tap->dropped() == 0);

    REQUIRE(tracks.size() == 2);
    for (const auto& track : tracks) {
        INFO(track.trackId << " " << track.file);
        CHECK(track.firstMs < 50);
        CHECK(track.lastMs == Approx(1980).margin(60));
        const auto path = (dir / track.file).string();
        const auto info = shellOutput("ffprobe -v error -show_entries stream=codec_name:format=duration -of default=nw=1 " +
                              path);
        INFO(info);
        CHECK(info.find(track.label == "audio" ? "codec_name=opus" : "codec_name=vp8") != std::string::npos);
        CHECK(std::stod(info.substr(info.find("duration=") + 9)) == Approx(2.0).margin(0.15));
        CHECK(shellOutput("ffmpeg -v error -i " + path + " -f null -").empty());
    }
    const auto& videoTrack = tracks[0].label == "video" ? tracks[0] : tracks[1];
    CHECK(videoTrack.packetsLost == 1);
    CHECK(videoTrack.framesDropped >= 1); // the damaged frame and those up to the next keyframe
    CHECK(videoTrack.frames < 60);
    CHECK(videoTrack.frames + videoTrack.framesDropped >= 58); // a frame lost whole is not counted
    std::lock_guard lock(requestsMutex);
    CHECK(std::count(keyframeRequests.begin(), keyframeRequests.end(), "alice/1") >= 1);
}

TEST_CASE("tracks the recorder cannot write are reported, and a full tap drops and counts", "[recorder]")
{
    auto tap = std::make_shared<router::MediaTap>(4);
    for (int i = 0; i < 4; ++i) {
        REQUIRE(tap->claim());
        tap->publish();
    }
    CHECK(!tap->claim());
    CHECK(tap->dropped() == 1);
    CHECK_THROWS_AS(router::MediaTap(6), std::invalid_argument);

    auto fresh = std::make_shared<router::MediaTap>(64);
    recorder::RoomRecorder recorder(
        fresh, [](const std::string&) -> int { throw std::runtime_error("the volume is full"); },
        [](const std::string&) {});
    pushText(*fresh, 0, "bob/0 audio opus 48000", nowMicros());
    pushText(*fresh, 1, "bob/1 video H264 90000", nowMicros());
    const std::vector<std::uint8_t> opus{0xFC, 0xFF, 0xFE};
    const auto packet = rtp(111, false, 1, 960, 3333, opus);
    push(*fresh, router::TapEntry::Kind::Rtp, 0, packet, nowMicros());
    push(*fresh, router::TapEntry::Kind::Rtp, 1, packet, nowMicros());
    const auto tracks = recorder.stop();
    CHECK(tracks.empty());
    CHECK(recorder.error() == "the volume is full");
}

TEST_CASE("a room's H.264 track is recorded from the tap into Matroska without transcoding", "[recorder]")
{
    TempDir dir;
    const auto units = parley::test::encodedStream(dir);
    auto tap = std::make_shared<router::MediaTap>(8192);
    recorder::RoomRecorder recorder(
        tap,
        filesIn(dir),
        [](const std::string&) {});
    const std::int64_t start = nowMicros();
    pushText(*tap, 0, "bob/1 video H264 90000", start);
    std::uint16_t sequence = 7000;
    for (std::size_t i = 0; i < units.size(); ++i) {
        const auto timestamp = units[i].timestamp;
        for (const auto& payload : parley::test::packetize(units[i]))
            push(*tap, router::TapEntry::Kind::Rtp, 0,
                 rtp(102, payload.marker, sequence++, timestamp, 3333, payload.payload),
                 start + static_cast<std::int64_t>(i) * 66'667);
    }
    const auto tracks = recorder.stop();
    CHECK(recorder.error().empty());
    REQUIRE(tracks.size() == 1);
    CHECK(tracks[0].codec == "H264");
    CHECK(tracks[0].frames == 30);
    CHECK(tracks[0].file.ends_with("-video.mkv"));
    const auto path = (dir / tracks[0].file).string();
    CHECK(shellOutput("ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 " + path) ==
          "h264,320,240\n");
    CHECK(shellOutput("ffmpeg -v error -i " + path + " -f null -").empty());
}

TEST_CASE("jittery sender reports leave no gap over 5 ms in the recorded and composed sound", "[recorder]")
{
    TempDir dir;
    const auto audioIn = (dir / "tone-in.webm").string();
    REQUIRE(shellOutput("ffmpeg -v error -f lavfi -i sine=frequency=440:sample_rate=48000 -ac 2 -t 12 -c:a libopus " +
                        audioIn)
                .empty());
    const auto packets = packetize(audioIn, 0, false);
    auto tap = std::make_shared<router::MediaTap>(8192);
    recorder::RoomRecorder recorder(tap, filesIn(dir), [](const std::string&) {});
    const std::int64_t start = nowMicros();
    pushText(*tap, 0, "alice/0 audio opus 48000", start);
    // A busy sender: a report every second whose NTP time is off by up to 40 ms either way
    // (seeded, so the same every run).
    std::mt19937 random(11);
    std::uniform_int_distribution<std::int64_t> jitter(-40000, 40000);
    const std::uint64_t base = 3900000000ull << 32;
    for (std::size_t i = 0; i < packets.size(); ++i) {
        const auto& packet = packets[i];
        if (i % 50 == 0) {
            const std::int64_t micros = packet.ms * 1000 + jitter(random);
            push(*tap, router::TapEntry::Kind::SenderReport, 0, {}, start + packet.ms * 1000,
                 base + static_cast<std::uint64_t>((micros << 32) / 1000000), static_cast<std::uint32_t>(packet.ms * 48));
        }
        push(*tap, router::TapEntry::Kind::Rtp, packet.track, packet.bytes, start + packet.ms * 1000);
    }
    const auto tracks = recorder.stop();
    REQUIRE(tracks.size() == 1);
    const auto file = (dir / tracks[0].file).string();

    // The track file: every 20 ms frame 20 ms after the one before, give or take the few
    // milliseconds the smoothing moves per report.
    const auto times = shellOutput("ffprobe -v error -select_streams a -show_entries packet=pts_time -of csv=p=0 " + file);
    std::istringstream lines(times);
    std::vector<double> pts;
    for (std::string line; std::getline(lines, line);)
        if (!line.empty())
            pts.push_back(std::stod(line));
    REQUIRE(pts.size() > 550);
    double worst = 0;
    // From the second interval: the encoder's first frame is 21 ms before its second.
    for (std::size_t i = 2; i < pts.size(); ++i)
        worst = std::max(worst, std::abs(pts[i] - pts[i - 1] - 0.020));
    CHECK(worst <= 0.0035);

    // Composed: no silence of 5 ms or more anywhere in the tone.
    const auto composed = (dir / "composed.webm").string();
    {
        const int in = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        const int out = ::open(composed.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        REQUIRE(in >= 0);
        REQUIRE(out >= 0);
        recorder::composeRecording({{in, "tone", recorder::TrackCodec::Opus, tracks[0].firstMs, tracks[0].lastMs}}, out,
                                   {});
        ::close(in);
        ::close(out);
    }
    const auto silence = shellOutput("ffmpeg -i " + composed + " -af silencedetect=n=-40dB:d=0.005 -f null - 2>&1");
    INFO(silence);
    // The only silences allowed are the encoder's start (its first samples are its delay)
    // and after the tone's end (the last frame's padding).
    const std::regex silenceStart(R"(silence_start: ([0-9.]+))");
    for (auto it = std::sregex_iterator(silence.begin(), silence.end(), silenceStart); it != std::sregex_iterator(); ++it)
        CHECK((std::stod((*it)[1]) < 0.03 || std::stod((*it)[1]) > 11.9));
}
