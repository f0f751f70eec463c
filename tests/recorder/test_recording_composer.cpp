// Composition of recorded track files into one playable file, checked with the ffmpeg tools:
// the grid over time, audio at its place on the timeline, damaged input.
#include "child_process.h"
#include "temp_dir.h"

#include <parley/recorder/composition_layout.h>
#include <parley/recorder/recording_composer.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <fcntl.h>
#include <fstream>
#include <regex>
#include <string>
#include <unistd.h>

using namespace parley::recorder;
using parley::test::TempDir;
using parley::test::shellOutput;

namespace {

struct OpenFile
{
    explicit OpenFile(const std::string& path, int flags = O_RDONLY)
        : fd(::open(path.c_str(), flags | O_CLOEXEC, 0600))
    {
        REQUIRE(fd >= 0);
    }
    ~OpenFile() { ::close(fd); }
    OpenFile(const OpenFile&) = delete;
    OpenFile& operator=(const OpenFile&) = delete;
    int fd;
};

std::string makeVideo(const TempDir& dir, const std::string& name, const std::string& colour, double startS,
                      double seconds)
{
    const auto path = (dir.path() / name).string();
    REQUIRE(shellOutput("ffmpeg -v error -f lavfi -i color=c=" + colour + ":size=320x240:rate=15 -t " +
                        std::to_string(seconds) + " -c:v libvpx -b:v 200k -output_ts_offset " +
                        std::to_string(startS) + " " + path)
                .empty());
    return path;
}

std::string makeTone(const TempDir& dir, const std::string& name, int hertz, double startS, double seconds)
{
    const auto path = (dir.path() / name).string();
    REQUIRE(shellOutput("ffmpeg -v error -f lavfi -i sine=frequency=" + std::to_string(hertz) +
                        ":sample_rate=48000 -ac 2 -t " + std::to_string(seconds) + " -c:a libopus -output_ts_offset " +
                        std::to_string(startS) + " " + path)
                .empty());
    return path;
}

/// The composed picture at `seconds`, shrunk to 32x18 RGB.
std::string pictureAt(const std::string& file, double seconds)
{
    const auto rgb = shellOutput("ffmpeg -v quiet -ss " + std::to_string(seconds) + " -i " + file +
                                 " -frames:v 1 -vf scale=32:18 -pix_fmt rgb24 -f rawvideo -");
    REQUIRE(rgb.size() == 32 * 18 * 3);
    return rgb;
}

/// The dominant colour at (x, y) of a 32x18 picture: "red", "blue", "black" or "other".
std::string colourAt(const std::string& rgb, int x, int y)
{
    const auto at = static_cast<std::size_t>((y * 32 + x) * 3);
    const int r = static_cast<unsigned char>(rgb[at]), g = static_cast<unsigned char>(rgb[at + 1]),
              b = static_cast<unsigned char>(rgb[at + 2]);
    if (r < 40 && g < 40 && b < 40)
        return "black";
    if (r > 180 && g < 60 && b < 60)
        return "red";
    if (b > 180 && r < 60 && g < 60)
        return "blue";
    return "other(" + std::to_string(r) + "," + std::to_string(g) + "," + std::to_string(b) + ")";
}

} // namespace

TEST_CASE("the grid has as many cells as tracks are shown at once, and reuses freed cells", "[recorder]")
{
    SECTION("two at once, side by side")
    {
        const auto layout = layoutTracks({{0, 10'000}, {500, 9'000}}, 1280, 720);
        REQUIRE(layout.cells.size() == 2);
        CHECK(layout.cellOfTrack == std::vector<int>{0, 1});
        CHECK(layout.cells[0].x == 0);
        CHECK(layout.cells[1].x == 640);
        CHECK(layout.cells[0].width == 640);
        CHECK(layout.cells[0].height == 720);
    }
    SECTION("someone who leaves and a screen share after them take the same cell")
    {
        const auto layout = layoutTracks({{0, 10'000}, {0, 3'000}, {4'000, 10'000}}, 1280, 720);
        CHECK(layout.cells.size() == 2);
        CHECK(layout.cellOfTrack == std::vector<int>{0, 1, 1});
    }
    SECTION("five at once: three and two, the short row centred, all inside and apart")
    {
        const auto layout = layoutTracks({{0, 1}, {0, 1}, {0, 1}, {0, 1}, {0, 1}}, 1280, 720);
        REQUIRE(layout.cells.size() == 5);
        CHECK(layout.cells[3].x > 0);
        for (std::size_t i = 0; i < layout.cells.size(); ++i) {
            const auto& a = layout.cells[i];
            CHECK(a.x % 2 == 0);
            CHECK(a.y % 2 == 0);
            CHECK(a.width % 2 == 0);
            CHECK(a.x + a.width <= 1280);
            CHECK(a.y + a.height <= 720);
            for (std::size_t j = i + 1; j < layout.cells.size(); ++j) {
                const auto& b = layout.cells[j];
                const bool apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y ||
                                   b.y + b.height <= a.y;
                CHECK(apart);
            }
        }
    }
    SECTION("no video tracks, no cells")
    {
        CHECK(layoutTracks({}, 1280, 720).cells.empty());
    }
}

TEST_CASE("track files are composed into one WebM with the pictures on a grid over time and the sound mixed "
          "in place",
          "[recorder]")
{
    TempDir dir;
    // Red from 0 to 4 s; blue joins at 2 s until 5 s. A tone from 0 to 2 s, another from 3 to 5 s.
    const auto red = makeVideo(dir, "red.webm", "red", 0, 4);
    const auto blue = makeVideo(dir, "blue.webm", "blue", 2, 3);
    const auto low = makeTone(dir, "low.webm", 440, 0, 2);
    const auto high = makeTone(dir, "high.webm", 880, 3, 2);
    OpenFile redFile(red), blueFile(blue), lowFile(low), highFile(high);
    const auto output = (dir.path() / "composed.webm").string();
    std::vector<double> progress;
    CompositionResult result;
    {
        OpenFile out(output, O_WRONLY | O_CREAT | O_EXCL);
        result = composeRecording({{redFile.fd, "red", TrackCodec::Vp8, 0, 3933},
                                   {blueFile.fd, "blue", TrackCodec::Vp8, 2000, 4933},
                                   {lowFile.fd, "low", TrackCodec::Opus, 0, 1980},
                                   {highFile.fd, "high", TrackCodec::Opus, 3000, 4980}},
                                  out.fd, {}, [&progress](double done) { progress.push_back(done); });
    }
    CHECK(result.videoTracks == 2);
    CHECK(result.audioTracks == 2);
    CHECK(result.cells == 2);
    CHECK(result.decodeErrors == 0);
    CHECK(result.durationMs == 4980 + 66);
    REQUIRE(progress.size() >= 2);
    CHECK(std::is_sorted(progress.begin(), progress.end()));
    CHECK(progress.back() == 1.0);

    const auto info = shellOutput("ffprobe -v error -show_entries stream=codec_name,width,height:format=duration "
                                  "-of default=nw=1 " + output);
    INFO(info);
    CHECK_THAT(info, Catch::Contains("codec_name=vp8"));
    CHECK_THAT(info, Catch::Contains("codec_name=opus"));
    CHECK_THAT(info, Catch::Contains("width=1280"));
    CHECK_THAT(info, Catch::Contains("height=720"));
    std::smatch duration;
    REQUIRE(std::regex_search(info, duration, std::regex("duration=([0-9.]+)")));
    CHECK(std::stod(duration[1]) == Approx(5.05).margin(0.1));
    CHECK(shellOutput("ffmpeg -v error -i " + output + " -f null -").empty());

    // Left cell red while its track runs; the right cell black until blue joins at 2 s;
    // the left black again once red ended.
    const auto early = pictureAt(output, 1.0);
    CHECK(colourAt(early, 8, 9) == "red");
    CHECK(colourAt(early, 24, 9) == "black");
    const auto both = pictureAt(output, 3.0);
    CHECK(colourAt(both, 8, 9) == "red");
    CHECK(colourAt(both, 24, 9) == "blue");
    const auto late = pictureAt(output, 4.8);
    CHECK(colourAt(late, 8, 9) == "black");
    CHECK(colourAt(late, 24, 9) == "blue");

    // Sound from 0 to 2 s and from 3 to 5 s, silence between.
    const auto silence = shellOutput("ffmpeg -i " + output + " -af silencedetect=n=-50dB:d=0.5 -f null - 2>&1");
    std::smatch start, end;
    REQUIRE(std::regex_search(silence, start, std::regex("silence_start: ([0-9.]+)")));
    REQUIRE(std::regex_search(silence, end, std::regex("silence_end: ([0-9.]+)")));
    CHECK(std::stod(start[1]) == Approx(2.0).margin(0.15));
    CHECK(std::stod(end[1]) == Approx(3.0).margin(0.15));
    const auto volume = shellOutput("ffmpeg -i " + output + " -af volumedetect -f null - 2>&1");
    std::smatch mean;
    REQUIRE(std::regex_search(volume, mean, std::regex("mean_volume: (-?[0-9.]+) dB")));
    CHECK(std::stod(mean[1]) > -30.0);
}

TEST_CASE("an unreadable track file fails the composition with its name, "
          "and a truncated one gives what it holds",
          "[recorder]")
{
    TempDir dir;
    const auto junk = (dir.path() / "junk.webm").string();
    std::ofstream(junk) << std::string(4096, 'x');
    const auto tone = makeTone(dir, "tone.webm", 440, 0, 3);
    {
        OpenFile junkFile(junk), toneFile(tone);
        OpenFile out((dir.path() / "a.webm").string(), O_WRONLY | O_CREAT | O_EXCL);
        CHECK_THROWS_WITH(composeRecording({{toneFile.fd, "tone", TrackCodec::Opus, 0, 2980},
                                            {junkFile.fd, "junk", TrackCodec::Vp8, 0, 2000}},
                                           out.fd, {}),
                          Catch::Contains("junk"));
        CHECK_THROWS_AS(composeRecording({}, out.fd, {}), std::runtime_error);
        CHECK_THROWS_AS(composeRecording({{toneFile.fd, "tone", TrackCodec::Opus, 0, 2980}}, out.fd, {99, 99, 15}),
                        std::invalid_argument);
    }
    // A recorder killed mid-write leaves a file without its index and with a cut last frame.
    const auto video = makeVideo(dir, "video.webm", "red", 0, 3);
    const auto size = std::filesystem::file_size(video);
    std::filesystem::resize_file(video, size * 2 / 3);
    OpenFile videoFile(video);
    const auto output = (dir.path() / "b.webm").string();
    {
        OpenFile out(output, O_WRONLY | O_CREAT | O_EXCL);
        const auto result = composeRecording({{videoFile.fd, "video", TrackCodec::Vp8, 0, 2933}}, out.fd, {});
        CHECK(result.audioTracks == 0);
        CHECK(result.framesDecoded > 10);
    }
    const auto info = shellOutput("ffprobe -v error -show_entries stream=codec_name -of default=nw=1 " + output);
    CHECK(info == "codec_name=vp8\n");
    CHECK(shellOutput("ffmpeg -v error -i " + output + " -f null -").empty());
}

TEST_CASE("a track's times cannot stretch the composition past the recording, "
          "and unknown spans are read from the file",
          "[recorder]")
{
    TempDir dir;
    // A second's tone, and a sender whose clock jumped a day ahead for its second tone.
    const auto tone = makeTone(dir, "tone.webm", 440, 0, 1);
    const auto future = makeTone(dir, "future.webm", 880, 86400, 1);
    const auto video = makeVideo(dir, "video.webm", "red", 0.5, 2);
    OpenFile toneFile(tone), futureFile(future), videoFile(video);
    const auto output = (dir.path() / "capped.webm").string();
    CompositionOptions options;
    options.maxDurationMs = 3000;
    {
        OpenFile out(output, O_WRONLY | O_CREAT | O_EXCL);
        const auto started = std::chrono::steady_clock::now();
        const auto result = composeRecording({{toneFile.fd, "tone", TrackCodec::Opus, -1, -1},
                                              {futureFile.fd, "future", TrackCodec::Opus, 86'400'000, 86'400'980},
                                              {videoFile.fd, "video", TrackCodec::Vp8, -1, -1}},
                                             out.fd, options);
        CHECK(result.durationMs == 3000 + 66); // the future track cut at the limit
        CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));
    }
    const auto info = shellOutput("ffprobe -v error -show_entries format=duration -of default=nw=1 " + output);
    CHECK(std::stod(info.substr(info.find('=') + 1)) == Approx(3.07).margin(0.1));
    // The red picture (its span read from its file) starts at 0.5 s and ends at 2.43 s.
    CHECK(colourAt(pictureAt(output, 0.2), 16, 9) == "black");
    CHECK(colourAt(pictureAt(output, 1.0), 16, 9) == "red");
    CHECK(colourAt(pictureAt(output, 3.0), 16, 9) == "black");
}
