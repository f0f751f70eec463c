// Composition of recorded track files into one playable file, checked with the ffmpeg tools:
// the grid over time, audio at its place on the timeline, damaged input.
#include "child_process.h"
#include "temp_dir.h"

#include <parley/recorder/active_speaker.h>
#include <parley/recorder/composition_layout.h>
#include <parley/recorder/name_label.h>
#include <parley/recorder/recording_composer.h>

#include <catch2/catch.hpp>

#if defined(__SANITIZE_ADDRESS__)
// From the sanitizer runtime (GCC ships no header for it).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

#include <chrono>
#include <cmath>
#include <cstddef>
#include <fcntl.h>
#include <fstream>
#include <malloc.h>
#include <memory>
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
                      double seconds, const std::string& size = "320x240")
{
    const auto path = (dir.path() / name).string();
    REQUIRE(shellOutput("ffmpeg -v error -f lavfi -i color=c=" + colour + ":size=" + size + ":rate=15 -t " +
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

namespace {

bool apart(const Cell& a, const Cell& b)
{
    return a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
}

bool inside(const Cell& a, int width, int height)
{
    return a.x >= 0 && a.y >= 0 && a.x % 2 == 0 && a.y % 2 == 0 && a.width % 2 == 0 && a.height % 2 == 0 &&
           a.x + a.width <= width && a.y + a.height <= height;
}

} // namespace

TEST_CASE("the speaker fills the picture, the others are small along its bottom, a screen share is large", "[recorder]")
{
    using enum TileKind;
    SECTION("one video fills the picture")
    {
        const auto placements = arrangeTiles({Camera}, std::nullopt, 1280, 720);
        REQUIRE(placements.size() == 1);
        CHECK(placements[0].large);
        CHECK(placements[0].cell.width == 1280);
        CHECK(placements[0].cell.height == 720);
    }
    SECTION("two cameras: the speaker large, the other small at the bottom right")
    {
        for (const std::size_t speaker : {0u, 1u}) {
            const auto placements = arrangeTiles({Camera, Camera}, speaker, 1280, 720);
            REQUIRE(placements.size() == 2);
            CHECK(placements[0].tile == speaker);
            CHECK(placements[0].large);
            CHECK(placements[0].cell.width == 1280);
            CHECK(placements[1].tile == 1 - speaker);
            CHECK_FALSE(placements[1].large);
            CHECK(placements[1].cell.width == 256);
            CHECK(placements[1].cell.height == 144);
            CHECK(placements[1].cell.x + placements[1].cell.width == 1280 - 16);
            CHECK(placements[1].cell.y + placements[1].cell.height == 720 - 16);
        }
        // Nobody spoke yet: the first.
        CHECK(arrangeTiles({Camera, Camera}, std::nullopt, 1280, 720)[0].tile == 0);
        // A speaker index that is not a tile is ignored.
        CHECK(arrangeTiles({Camera, Camera}, 7, 1280, 720)[0].tile == 0);
    }
    SECTION("nine cameras: eight small ones in two rows, inside and apart; ten make a grid")
    {
        const auto placements = arrangeTiles(std::vector<TileKind>(9, Camera), 4, 1280, 720);
        REQUIRE(placements.size() == 9);
        CHECK(placements[0].tile == 4);
        CHECK(placements[1].tile == 0);
        for (std::size_t i = 0; i < placements.size(); ++i) {
            CHECK(inside(placements[i].cell, 1280, 720));
            for (std::size_t j = i + 1; i > 0 && j < placements.size(); ++j) // small ones apart
                CHECK(apart(placements[i].cell, placements[j].cell));
        }
        const auto grid = arrangeTiles(std::vector<TileKind>(10, Camera), 4, 1280, 720);
        REQUIRE(grid.size() == 10);
        for (std::size_t i = 0; i < grid.size(); ++i) {
            CHECK_FALSE(grid[i].large);
            CHECK(inside(grid[i].cell, 1280, 720));
            for (std::size_t j = i + 1; j < grid.size(); ++j)
                CHECK(apart(grid[i].cell, grid[j].cell));
        }
    }
    SECTION("a screen share takes the picture left of a column, the speaker first in it")
    {
        const auto placements = arrangeTiles({Camera, Camera, Screen}, 1, 1280, 720);
        REQUIRE(placements.size() == 3);
        CHECK(placements[0].tile == 2);
        CHECK(placements[0].large);
        CHECK(placements[0].cell.width == 1024);
        CHECK(placements[0].cell.height == 720);
        CHECK(placements[1].tile == 1);
        CHECK(placements[1].cell.x == 1024);
        CHECK(placements[1].cell.y == 0);
        CHECK(placements[2].tile == 0);
        CHECK(placements[2].cell.y == 144);
        for (std::size_t i = 0; i < placements.size(); ++i)
            for (std::size_t j = i + 1; j < placements.size(); ++j)
                CHECK(apart(placements[i].cell, placements[j].cell));
        // Of two shares the newest (last) is large; a share alone fills the picture.
        CHECK(arrangeTiles({Screen, Camera, Screen}, 1, 1280, 720)[0].tile == 2);
        CHECK(arrangeTiles({Screen}, std::nullopt, 1280, 720)[0].cell.width == 1280);
    }
    SECTION("a very wide or very small picture still holds every small tile inside it")
    {
        for (const auto& [width, height] : {std::pair{3840, 720}, std::pair{960, 64}, std::pair{64, 64}}) {
            INFO(width << "x" << height);
            for (const auto& placements : {arrangeTiles(std::vector<TileKind>(9, Camera), 0, width, height),
                                           arrangeTiles({Camera, Camera, Camera, Screen}, 0, width, height)})
                for (const auto& placement : placements)
                    CHECK(inside(placement.cell, width, height));
        }
    }
    SECTION("nothing to show, no placements")
    {
        CHECK(arrangeTiles({}, std::nullopt, 1280, 720).empty());
    }
}

TEST_CASE("the active speaker is who has been loudest for a while, not who coughed", "[recorder]")
{
    ActiveSpeaker speaker(3);
    const double loud = 0.05; // about -13 dBFS
    const double quiet = 0.0;
    std::int64_t ms = 0;
    const auto hearFor = [&](std::int64_t durationMs, std::vector<double> levels) {
        for (const auto end = ms + durationMs; ms < end; ms += 20)
            for (std::size_t p = 0; p < levels.size(); ++p)
                speaker.hear(p, levels[p], ms);
    };
    hearFor(500, {quiet, quiet, quiet});
    CHECK_FALSE(speaker.speaker());
    hearFor(300, {loud, quiet, quiet});
    CHECK(speaker.speaker() == 0u);
    hearFor(3000, {loud, quiet, quiet});
    // A cough from 1: shorter than the take-over time.
    hearFor(300, {quiet, loud, quiet});
    CHECK(speaker.speaker() == 0u);
    hearFor(1000, {quiet, quiet, quiet});
    CHECK(speaker.speaker() == 0u); // silence keeps the last speaker
    hearFor(1500, {quiet, quiet, loud});
    CHECK(speaker.speaker() == 2u);
    // Both speak: the one speaking stays unless the other is much louder.
    hearFor(2000, {loud, quiet, loud});
    CHECK(speaker.speaker() == 2u);
    hearFor(2000, {loud * 10, quiet, loud / 10});
    CHECK(speaker.speaker() == 0u);
    CHECK(speaker.changes() == 3);
    // Hostile levels and participants are ignored.
    speaker.hear(9, loud, ms);
    speaker.hear(1, std::nan(""), ms);
    speaker.hear(1, -1.0, ms);
    hearFor(100, {loud * 10, quiet, quiet});
    CHECK(speaker.speaker() == 0u);
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
    // 320x240 sources: a picture of half the configured size is enough.
    CHECK(result.width == 640);
    CHECK(result.height == 360);
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
    CHECK_THAT(info, Catch::Contains("width=640"));
    CHECK_THAT(info, Catch::Contains("height=360"));
    std::smatch duration;
    REQUIRE(std::regex_search(info, duration, std::regex("duration=([0-9.]+)")));
    CHECK(std::stod(duration[1]) == Approx(5.05).margin(0.1));
    CHECK(shellOutput("ffmpeg -v error -i " + output + " -f null -").empty());

    // Red alone fills the picture (its 4:3 cropped to 16:9, no black at the sides); blue
    // joins at 2 s as a small tile at the bottom right (nobody's sound is theirs here, so the
    // first stays large); once red ended, blue fills the picture.
    const auto early = pictureAt(output, 1.0);
    CHECK(colourAt(early, 0, 9) == "red");
    CHECK(colourAt(early, 16, 9) == "red");
    CHECK(colourAt(early, 31, 9) == "red");
    CHECK(colourAt(early, 28, 16) == "red");
    const auto both = pictureAt(output, 3.0);
    CHECK(colourAt(both, 16, 9) == "red");
    CHECK(colourAt(both, 28, 16) == "blue");
    const auto late = pictureAt(output, 4.8);
    CHECK(colourAt(late, 16, 9) == "blue");
    CHECK(colourAt(late, 28, 16) == "blue");

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
        CompositionOptions odd;
        odd.width = 99;
        odd.height = 99;
        CHECK_THROWS_AS(composeRecording({{toneFile.fd, "tone", TrackCodec::Opus, 0, 2980}}, out.fd, odd),
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

namespace {

/// A region of the composed picture at `seconds`, at full size, as grey levels.
std::string regionAt(const std::string& file, double seconds, int x, int y, int width, int height)
{
    return shellOutput("ffmpeg -v quiet -ss " + std::to_string(seconds) + " -i " + file + " -frames:v 1 -vf crop=" +
                       std::to_string(width) + ":" + std::to_string(height) + ":" + std::to_string(x) + ":" +
                       std::to_string(y) + " -pix_fmt gray -f rawvideo -");
}

double meanDifference(const std::string& a, const std::string& b)
{
    REQUIRE(a.size() == b.size());
    REQUIRE(!a.empty());
    double sum = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        sum += std::abs(static_cast<unsigned char>(a[i]) - static_cast<unsigned char>(b[i]));
    return sum / static_cast<double>(a.size());
}

constexpr const char* kFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

} // namespace

TEST_CASE("the active speaker's camera fills the picture with their name, 16:9 cameras leave no black band, "
          "a screen share is shown large",
          "[recorder]")
{
    TempDir dir;
    // Alice (red) speaks for the first 3 s, then Bob (blue) until 7 s; both cameras are on
    // throughout, 16:9 like a laptop's.
    const auto red = makeVideo(dir, "red.webm", "red", 0, 7, "640x360");
    const auto blue = makeVideo(dir, "blue.webm", "blue", 0, 7, "640x360");
    const auto aliceTone = makeTone(dir, "alice.webm", 440, 0, 3);
    const auto bobTone = makeTone(dir, "bob.webm", 660, 3.2, 3.8);
    OpenFile redFile(red), blueFile(blue), aliceFile(aliceTone), bobFile(bobTone);
    const auto compose = [&](const std::string& name, const std::string& alice, const std::string& bob) {
        const auto output = (dir.path() / name).string();
        for (const int fd : {redFile.fd, blueFile.fd, aliceFile.fd, bobFile.fd})
            REQUIRE(::lseek(fd, 0, SEEK_SET) == 0);
        OpenFile out(output, O_WRONLY | O_CREAT | O_EXCL);
        CompositionInput redInput{redFile.fd, "red", TrackCodec::Vp8, 0, 6933};
        redInput.participant = "p1";
        redInput.displayName = alice;
        CompositionInput blueInput{blueFile.fd, "blue", TrackCodec::Vp8, 0, 6933};
        blueInput.participant = "p2";
        blueInput.displayName = bob;
        CompositionInput aliceInput{aliceFile.fd, "alice", TrackCodec::Opus, 0, 2980};
        aliceInput.participant = "p1";
        CompositionInput bobInput{bobFile.fd, "bob", TrackCodec::Opus, 3200, 6980};
        bobInput.participant = "p2";
        CompositionOptions options;
        options.labelFont = kFont;
        const auto result = composeRecording({blueInput, redInput, aliceInput, bobInput}, out.fd, options);
        CHECK(result.labelError.empty());
        CHECK(result.width == 640);
        CHECK(result.height == 360);
        CHECK(result.speakerChanges == 2); // Alice, then Bob
        return output;
    };
    const auto named = compose("named.webm", "Alice Abernathy", "Bob Okonkwo-Smith");

    // While Alice speaks her camera is large and Bob's small; while Bob speaks, the other way.
    const auto alice = pictureAt(named, 2.0);
    CHECK(colourAt(alice, 16, 9) == "red");
    CHECK(colourAt(alice, 28, 16) == "blue");
    const auto bob = pictureAt(named, 6.0);
    CHECK(colourAt(bob, 16, 9) == "blue");
    CHECK(colourAt(bob, 28, 16) == "red");
    // No black band: every pixel along the edges is someone's camera.
    for (const auto& picture : {alice, bob}) {
        for (int x = 0; x < 32; ++x) {
            CHECK(colourAt(picture, x, 0) != "black");
            CHECK(colourAt(picture, x, 17) != "black");
        }
        for (int y = 0; y < 18; ++y) {
            CHECK(colourAt(picture, 0, y) != "black");
            CHECK(colourAt(picture, 31, y) != "black");
        }
    }

    // The names are drawn: the large picture's top-left corner and the small tile's bottom
    // differ from the same composition without names; the middle of the picture does not.
    const auto unnamed = compose("unnamed.webm", "", "");
    CHECK(meanDifference(regionAt(named, 2.0, 0, 0, 200, 30), regionAt(unnamed, 2.0, 0, 0, 200, 30)) > 15);
    CHECK(meanDifference(regionAt(named, 2.0, 504, 330, 120, 18), regionAt(unnamed, 2.0, 504, 330, 120, 18)) > 10);
    CHECK(meanDifference(regionAt(named, 2.0, 200, 120, 200, 100), regionAt(unnamed, 2.0, 200, 120, 200, 100)) < 2);
    CHECK(meanDifference(regionAt(named, 6.0, 0, 0, 200, 30), regionAt(unnamed, 6.0, 0, 0, 200, 30)) > 15);

    SECTION("a screen share is large beside the speaker's camera, in a picture as large as the share needs")
    {
        const auto screen = makeVideo(dir, "screen.webm", "green", 1, 5, "1280x720");
        OpenFile screenFile(screen);
        for (const int fd : {redFile.fd, aliceFile.fd})
            REQUIRE(::lseek(fd, 0, SEEK_SET) == 0);
        const auto output = (dir.path() / "share.webm").string();
        CompositionInput redInput{redFile.fd, "red", TrackCodec::Vp8, 0, 6933};
        redInput.participant = "p1";
        CompositionInput aliceInput{aliceFile.fd, "alice", TrackCodec::Opus, 0, 2980};
        aliceInput.participant = "p1";
        CompositionInput screenInput{screenFile.fd, "screen", TrackCodec::Vp8, 1000, 5933};
        screenInput.participant = "p1";
        screenInput.screen = true;
        {
            OpenFile out(output, O_WRONLY | O_CREAT | O_EXCL);
            const auto result = composeRecording({redInput, screenInput, aliceInput}, out.fd, {});
            CHECK(result.width == 1280);
            CHECK(result.height == 720);
        }
        const auto shared = pictureAt(output, 3.0);
        CHECK(colourAt(shared, 12, 9) != "red");
        CHECK(colourAt(shared, 12, 9) != "black");
        CHECK(colourAt(shared, 29, 1) == "red");
        CHECK(colourAt(pictureAt(output, 0.5), 12, 9) == "red");
    }
    SECTION("a recording of sound only has no picture")
    {
        REQUIRE(::lseek(aliceFile.fd, 0, SEEK_SET) == 0);
        const auto output = (dir.path() / "sound.webm").string();
        {
            OpenFile out(output, O_WRONLY | O_CREAT | O_EXCL);
            const auto result = composeRecording({{aliceFile.fd, "alice", TrackCodec::Opus, 0, 2980}}, out.fd, {});
            CHECK(result.width == 0);
        }
        const auto info = shellOutput("ffprobe -v error -show_entries stream=codec_type -of default=nw=1 " + output);
        CHECK(info == "codec_type=audio\n");
    }
}

TEST_CASE("names are cut to a length, without control characters or broken UTF-8", "[recorder]")
{
    CHECK(labelText("Dr. Zoë Ångström") == "Dr. Zoë Ångström");
    CHECK(labelText("a\nb\tc\x7f") == "abc");
    CHECK(labelText("bad \xff\xfe byte \xc3") == "bad  byte ");
    const auto cut = labelText(std::string(200, 'x'));
    CHECK(cut == std::string(NameLabel::kMaxCharacters, 'x') + "\u2026");
    CHECK(labelText(std::string(60, 'x') + "\u00e9") .size() == NameLabel::kMaxCharacters + 3);
}

namespace {

/// Bytes the program has allocated and not freed, as its allocator counts them.
std::size_t liveHeapBytes()
{
#if defined(__SANITIZE_ADDRESS__)
    return __sanitizer_get_current_allocated_bytes();
#else
    const auto info = mallinfo2();
    return info.uordblks + info.hblkhd;
#endif
}

/// The most heap in use while composing `count` cameras that come one after the other,
/// 0.4 s each at 640x360, in MiB.
double peakHeapComposingOneAfterAnother(const TempDir& dir, int count)
{
    std::vector<std::unique_ptr<OpenFile>> files;
    std::vector<CompositionInput> inputs;
    for (int i = 0; i < count; ++i) {
        const auto name = "one-" + std::to_string(count) + "-" + std::to_string(i) + ".webm";
        files.push_back(std::make_unique<OpenFile>(makeVideo(dir, name, i % 2 ? "red" : "blue", 0.5 * i, 0.4, "640x360")));
        inputs.emplace_back(files.back()->fd, name, TrackCodec::Vp8, 500 * i, 500 * i + 333);
    }
    const std::size_t before = liveHeapBytes();
    std::size_t peak = before;
    OpenFile out((dir.path() / ("composed-" + std::to_string(count) + ".webm")).string(), O_WRONLY | O_CREAT | O_EXCL);
    const auto result = composeRecording(inputs, out.fd, {}, [&peak](double) { peak = std::max(peak, liveHeapBytes()); });
    CHECK(result.videoTracks == count);
    CHECK(result.decodeErrors == 0);
    return static_cast<double>(peak - before) / (1024.0 * 1024.0);
}

} // namespace

TEST_CASE("a track that has ended gives its decoder and pictures back while the composition goes on", "[recorder]")
{
    TempDir dir;
    // People who came and went: what each ended track held (decoder, frame buffers, last
    // picture) must not add up over everyone who was ever in the recording. Measured: 36
    // more tracks cost 44.8 MiB more when every track was kept to the end, 16.5 MiB now
    // (each is still opened, its demuxer and decoder made, when composition starts).
    const double few = peakHeapComposingOneAfterAnother(dir, 4);
    const double many = peakHeapComposingOneAfterAnother(dir, 40);
    INFO("peak heap while composing: 4 tracks " << few << " MiB, 40 tracks " << many << " MiB");
    CHECK(many - few < 28.0);
}
