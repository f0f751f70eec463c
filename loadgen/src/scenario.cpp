#include <parley/loadgen/scenario.h>

#include <cstdlib>
#include <fstream>
#include <limits>

namespace parley::loadgen {

const char* const kUsage = R"(usage: parley-loadgen --server HOST:PORT --user NAME [options]

Signs in as NAME (password from --password-file or PARLEY_LOADGEN_PASSWORD), creates the
rooms, and joins simulated participants over WSS as the meeting page does; they publish VP8
and Opus over ICE, DTLS and SRTP and receive each other. Prints loss, forwarding latency,
join-to-keyframe time and, with --server-pid, the server's CPU and memory. docs/benchmarks.md.

  --password-file FILE   the account's password (first line)
  --ca-file FILE         CA of the server's certificate   --insecure  accept any certificate
  --rooms N              rooms (1)
  --publishers N         per room, people sending audio and video (2); the first moderates
  --subscribers N        per room, people who only receive (0)
  --media FILE           publish this WebM clip's VP8 and Opus, looped (recordings then
                         decode); without it, made-up frames at these rates:
  --video-kbps N         video rate (1500)     --audio-kbps N  audio rate (40)
  --fps N                video frames per second (30)
  --no-video | --no-audio
  --warmup S             seconds before measuring (5)
  --duration S           seconds measured (30)
  --record               record every room while measured
  --record-rooms N       record only the first N rooms (implies --record)
  --signaling-only       participants join and stay without media
  --churn S              every S seconds one participant leaves and rejoins, one toggles mute
  --media-threads N      threads for media (1)
  --decrypt-every N      decrypt 1 received audio packet in N for latency (8; video:
                         each frame's last packet)
  --joins-per-second N   join rate (50)
  --server-pid PID       read the server's usage from /proc/PID
  --json FILE            write the report as JSON too
)";

namespace {

long number(const std::string& option, const std::string& text, long low, long high)
{
    std::size_t used = 0;
    long value = 0;
    try {
        value = std::stol(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != text.size() || value < low || value > high)
        throw UsageError(option + " takes a whole number from " + std::to_string(low) + " to " + std::to_string(high) +
                         ", not \"" + text + "\"");
    return value;
}

std::string firstLine(const std::string& path)
{
    std::ifstream file(path);
    std::string line;
    if (!file || !std::getline(file, line))
        throw UsageError("cannot read the password from " + path);
    return line;
}

} // namespace

Scenario parseScenario(const std::vector<std::string>& arguments)
{
    Scenario s;
    std::string passwordFile;
    for (std::size_t i = 0; i < arguments.size(); ++i) {
        const std::string& option = arguments[i];
        auto value = [&]() -> const std::string& {
            if (i + 1 >= arguments.size())
                throw UsageError(option + " needs a value");
            return arguments[++i];
        };
        if (option == "--server") {
            const auto& text = value();
            const auto colon = text.rfind(':');
            if (colon == std::string::npos || colon == 0)
                throw UsageError("--server takes HOST:PORT, not \"" + text + "\"");
            s.host = text.substr(0, colon);
            s.port = static_cast<std::uint16_t>(number("--server's port", text.substr(colon + 1), 1, 65535));
        } else if (option == "--user")
            s.username = value();
        else if (option == "--password-file")
            passwordFile = value();
        else if (option == "--ca-file")
            s.caFile = value();
        else if (option == "--insecure")
            s.insecure = true;
        else if (option == "--rooms")
            s.rooms = static_cast<int>(number(option, value(), 1, 10000));
        else if (option == "--publishers")
            s.publishers = static_cast<int>(number(option, value(), 1, 10000));
        else if (option == "--subscribers")
            s.subscribers = static_cast<int>(number(option, value(), 0, 10000));
        else if (option == "--media")
            s.mediaFile = value();
        else if (option == "--video-kbps")
            s.videoKbps = static_cast<int>(number(option, value(), 10, 50000));
        else if (option == "--audio-kbps")
            s.audioKbps = static_cast<int>(number(option, value(), 6, 510));
        else if (option == "--fps")
            s.fps = static_cast<int>(number(option, value(), 1, 120));
        else if (option == "--no-video")
            s.video = false;
        else if (option == "--no-audio")
            s.audio = false;
        else if (option == "--warmup")
            s.warmup = std::chrono::seconds(number(option, value(), 0, 3600));
        else if (option == "--duration")
            s.duration = std::chrono::seconds(number(option, value(), 1, 86400));
        else if (option == "--record")
            s.record = true;
        else if (option == "--record-rooms") {
            s.record = true;
            s.recordRooms = static_cast<int>(number(option, value(), 1, 10000));
        } else if (option == "--signaling-only")
            s.signalingOnly = true;
        else if (option == "--churn")
            s.churnSeconds = static_cast<int>(number(option, value(), 1, 3600));
        else if (option == "--media-threads")
            s.mediaThreads = static_cast<int>(number(option, value(), 1, 64));
        else if (option == "--decrypt-every")
            s.decryptEvery = static_cast<int>(number(option, value(), 1, 1000));
        else if (option == "--joins-per-second")
            s.joinsPerSecond = static_cast<int>(number(option, value(), 1, 10000));
        else if (option == "--server-pid")
            s.serverPid = static_cast<pid_t>(number(option, value(), 1, std::numeric_limits<pid_t>::max()));
        else if (option == "--json")
            s.jsonFile = value();
        else
            throw UsageError("unknown option \"" + option + "\"");
    }
    if (s.username.empty())
        throw UsageError("--user is required: a Parley account that may create meetings");
    if (!passwordFile.empty())
        s.password = firstLine(passwordFile);
    else if (const char* password = std::getenv("PARLEY_LOADGEN_PASSWORD"))
        s.password = password;
    else
        throw UsageError("give the password with --password-file or PARLEY_LOADGEN_PASSWORD");
    if (!s.video && !s.audio)
        throw UsageError("--no-video and --no-audio together leave nothing to send");
    if (s.signalingOnly && s.record)
        throw UsageError("--signaling-only sends no media: there is nothing to --record");
    if (s.insecure && !s.caFile.empty())
        throw UsageError("--insecure and --ca-file contradict each other");
    return s;
}

} // namespace parley::loadgen
