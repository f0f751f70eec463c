// Speed of composing a recording into one playable file, in times real time, and the CPU it
// takes (the job runs on its own thread while the server keeps serving meetings).
//
//   build/release/tests/bench/composition_bench [seconds] [participants]
//
// Makes one VP8 camera track (640x480, 15 fps, moving test picture, as a webcam's bit rate)
// and one Opus tone per participant with the ffmpeg tool, people joining a few seconds
// apart, then composes them with the product's composer at the default 1280x720, 15 fps.
#include <parley/recorder/recording_composer.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

using namespace parley::recorder;

namespace {

double cpuSeconds()
{
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

void make(const std::string& command)
{
    if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) {
        std::fprintf(stderr, "failed: %s\n", command.c_str());
        std::exit(1);
    }
}

} // namespace

int main(int argc, char** argv)
{
    const int seconds = argc > 1 ? std::atoi(argv[1]) : 60;
    const int participants = argc > 2 ? std::atoi(argv[2]) : 4;
    if (seconds < 2 || participants < 1 || participants > 16) {
        std::fprintf(stderr, "usage: composition_bench [seconds >= 2] [participants 1-16]\n");
        return 2;
    }
    char pattern[] = "/tmp/parley-composition-bench-XXXXXX";
    const std::filesystem::path dir = ::mkdtemp(pattern);
    std::vector<CompositionInput> inputs;
    std::vector<int> fds;
    for (int i = 0; i < participants; ++i) {
        const int start = i * 2; // people join two seconds apart
        const int length = seconds - start;
        if (length < 1)
            break;
        const auto video = (dir / ("video" + std::to_string(i) + ".webm")).string();
        const auto audio = (dir / ("audio" + std::to_string(i) + ".webm")).string();
        // 720p cameras as laptops send them, so the composed picture is 1280x720.
        make("ffmpeg -y -f lavfi -i testsrc2=size=1280x720:rate=15 -t " + std::to_string(length) +
             " -c:v libvpx -b:v 500k -deadline realtime -cpu-used 8 -output_ts_offset " + std::to_string(start) +
             " " + video);
        // People speak in turns of 3 s, so the large picture changes hands.
        const int cycle = 3 * participants;
        make("ffmpeg -y -f lavfi -i sine=frequency=" + std::to_string(300 + 100 * i) + ":sample_rate=48000 -ac 2 -t " +
             std::to_string(length) + " -af \"volume=0:enable='not(between(mod(t+" + std::to_string(start) + "," +
             std::to_string(cycle) + ")," + std::to_string(3 * i) + "," + std::to_string(3 * i + 3) +
             "))'\" -c:a libopus -output_ts_offset " + std::to_string(start) + " " + audio);
        for (const auto& [file, codec, last] :
             {std::tuple{video, TrackCodec::Vp8, seconds * 1000 - 67}, std::tuple{audio, TrackCodec::Opus, seconds * 1000 - 20}}) {
            fds.push_back(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
            inputs.push_back({fds.back(), file, codec, start * 1000, last});
            inputs.back().participant = "p" + std::to_string(i);
            inputs.back().displayName = "Participant " + std::to_string(i + 1);
        }
    }
    const auto output = (dir / "composed.webm").string();
    const int out = ::open(output.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    const double cpuBefore = cpuSeconds();
    const auto started = std::chrono::steady_clock::now();
    CompositionOptions options;
    options.labelFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    const auto result = composeRecording(inputs, out, options);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const double cpu = cpuSeconds() - cpuBefore;
    std::printf("composed %.1f s of %d participants (%d video, %d audio tracks) at %dx%d/15 fps\n",
                result.durationMs / 1000.0, participants, result.videoTracks, result.audioTracks, result.width, result.height);
    std::printf("the speaker changed %llu times\n", static_cast<unsigned long long>(result.speakerChanges));
    std::printf("wall %.2f s = %.1fx real time; CPU %.2f s = %.1fx real time per core; output %lld bytes\n", wall,
                result.durationMs / 1000.0 / wall, cpu, result.durationMs / 1000.0 / cpu,
                static_cast<long long>(std::filesystem::file_size(output)));
    ::close(out);
    for (const int fd : fds)
        ::close(fd);
    if (const char* keep = std::getenv("PARLEY_BENCH_KEEP"))
        std::filesystem::copy_file(output, keep, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::remove_all(dir);
    return 0;
}
