#pragma once

#include "signaling_fixture.h"

#include <filesystem>
#include <fstream>

namespace parley::test {

/// A recording volume made and unlocked with parleyctl (userspace engine, tiny key cost) in
/// a directory of root's; locked again at the end of the test.
struct UnlockedVolume
{
    TempDir dir;
    std::string args;

    UnlockedVolume()
    {
        args = ctlArgs(dir / "ctl-data") + " --set volume.kdf_memory_kib=32 --set volume.kdf_parallel=1" +
               " --set volume.engine=userspace --set volume.runtime_dir=" + (dir / "run").string() +
               " --set volume.container=" + (dir / "recordings.luks").string() +
               " --set volume.mount_point=" + mountPoint().string();
        REQUIRE(runParleyctl(args + " volume create --size 120M", "volume-pass\n").exitCode == 0);
        const auto unlocked = runParleyctl(args + " volume unlock", "volume-pass\n");
        INFO(unlocked.output);
        REQUIRE(unlocked.exitCode == 0);
    }
    ~UnlockedVolume() { runParleyctl(args + " volume lock"); }

    std::filesystem::path mountPoint() const { return dir / "recordings"; }
};

/// Inverts the byte in the middle of `file`: a recording file changed behind the server's back.
inline void flipMiddleByte(const std::filesystem::path& file)
{
    std::fstream stream(file, std::ios::in | std::ios::out | std::ios::binary);
    const auto middle = static_cast<std::streamoff>(std::filesystem::file_size(file) / 2);
    stream.seekg(middle);
    const char byte = static_cast<char>(stream.get());
    stream.seekp(middle);
    stream.put(static_cast<char>(~byte));
}

/// A running meeting with its owner and a guest Gus present, recordable into a fresh volume.
struct RecordingMeeting
{
    UnlockedVolume volume;
    SignalingServer server{{"--set", "volume.mount_point=" + volume.mountPoint().string()}};
    RoomInfo room = personalRoom(server.owner, R"({"waitingRoom":false})");
    std::unique_ptr<WsClient> owner = server.ownerJoins(room);
    WsClient guest{server.port()};

    RecordingMeeting() { REQUIRE(codeOf(guest.join(guestJoin(room, "Gus"))) == "joined"); }
};

} // namespace parley::test
