#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace parley::loadgen {

/// What a load run does: the server, the rooms and people in them, their media and how long
/// it is measured. Read from the command line by parseScenario.
struct Scenario
{
    std::string host = "127.0.0.1";
    std::uint16_t port = 8443;
    std::string username; ///< a Parley account that may create meetings; it moderates each room
    std::string password; ///< from --password-file or PARLEY_LOADGEN_PASSWORD, never argv
    std::string caFile;   ///< the server certificate's CA; empty: the system's
    bool insecure = false; ///< accept any server certificate (a test server's self-signed one)

    int rooms = 1;
    /// Per room: people who send audio and video and receive everyone else's (the first is
    /// the signed-in moderator), and people who only receive (guests by the room's link).
    int publishers = 2;
    int subscribers = 0;

    std::string mediaFile; ///< a WebM clip (VP8, Opus) to publish; empty: made-up frames
    int videoKbps = 1500;
    int audioKbps = 40;
    int fps = 30;
    bool video = true;
    bool audio = true;

    std::chrono::seconds warmup{5};
    std::chrono::seconds duration{30};
    bool record = false;      ///< each room's moderator records the meeting while it is measured
    int recordRooms = 0;      ///< with record: only the first N rooms (0: all)
    bool signalingOnly = false; ///< participants join and stay, with no media (signaling's own cost)
    int mediaThreads = 1;     ///< threads that send and receive all participants' media
    int decryptEvery = 8;     ///< decrypt one received audio packet in N for its send time (1: all)
    int joinsPerSecond = 50;  ///< how fast participants join
    /// Every this many seconds one participant leaves and joins again, and one toggles its
    /// microphone (0: never); for soaks.
    int churnSeconds = 0;
    pid_t serverPid = 0;      ///< read the server's CPU, memory, threads and files from /proc
    std::string jsonFile;     ///< also write the report as JSON here
};

class UsageError : public std::invalid_argument
{
public:
    using std::invalid_argument::invalid_argument;
};

/// Reads the options (argv without the program name). Throws UsageError with a message that
/// names the bad option.
Scenario parseScenario(const std::vector<std::string>& arguments);

/// The option summary printed by --help and after a usage error.
extern const char* const kUsage;

} // namespace parley::loadgen
