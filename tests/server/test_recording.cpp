// Starting and stopping a recording over signaling: who may, who is told, and what happens
// when the recording volume is not there.
#include "signaling_fixture.h"

using namespace parley::test;
using Catch::Contains;

namespace {

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

Poco::JSON::Object::Ptr roomOf(const Poco::JSON::Object::Ptr& joined)
{
    return joined->getObject("room");
}

} // namespace

TEST_CASE("Recording needs an unlocked volume: the moderator is told why, nothing starts, and it is audited")
{
    TempDir nowhere;
    SignalingServer server({"--set", "volume.mount_point=" + (nowhere / "recordings").string()});
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    auto owner = server.ownerJoins(room);

    owner->sendText(R"({"type":"recording.start"})");
    const auto refused = owner->expect("error");
    REQUIRE(refused);
    CHECK(refused->getValue<std::string>("code") == "recording_unavailable");
    CHECK_THAT(refused->getValue<std::string>("message"), Contains("only to an unlocked Parley volume"));
    CHECK(refused->getValue<std::string>("request") == "recording.start");

    WsClient guest(server.port());
    const auto joined = guest.join(guestJoin(room, "Gus"));
    REQUIRE(codeOf(joined) == "joined");
    CHECK_FALSE(roomOf(joined)->getValue<bool>("recording"));
    guest.sendText(R"({"type":"recording.start"})");
    CHECK(codeOf(guest.expect("error")) == "not_moderator");
    owner->sendText(R"({"type":"recording.stop"})");
    CHECK(codeOf(owner->expect("error")) == "not_recording");

    auto admin = server.admin();
    CHECK(auditCount(admin, "action=recording.start&outcome=failure") == 2);
    CHECK(auditCount(admin, "action=recording.start&outcome=success") == 0);
    // Nothing was written where the volume should be.
    CHECK(!std::filesystem::exists(nowhere / "recordings"));
}

TEST_CASE("A moderator starts and stops recording; everyone is told, late joiners see it, and the volume is let go")
{
    UnlockedVolume volume;
    SignalingServer server({"--set", "volume.mount_point=" + volume.mountPoint().string()});
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    auto owner = server.ownerJoins(room);
    WsClient guest(server.port());
    REQUIRE(codeOf(guest.join(guestJoin(room, "Gus"))) == "joined");

    owner->sendText(R"({"type":"recording.start"})");
    const auto started = owner->expect("recording.started");
    REQUIRE(started);
    CHECK(started->getValue<std::int64_t>("since") > 1700000000);
    REQUIRE(guest.expect("recording.started"));

    // Someone who joins later learns it at once.
    WsClient late(server.port());
    const auto joined = late.join(guestJoin(room, "Lena"));
    REQUIRE(codeOf(joined) == "joined");
    CHECK(roomOf(joined)->getValue<bool>("recording"));
    CHECK(roomOf(joined)->getValue<std::int64_t>("recordingSince") == started->getValue<std::int64_t>("since"));

    owner->sendText(R"({"type":"recording.start"})");
    CHECK(codeOf(owner->expect("error")) == "already_recording");

    // While recording, the server holds the volume: it cannot be locked under it.
    CHECK(runParleyctl(volume.args + " volume lock").exitCode == 1);

    owner->sendText(R"({"type":"recording.stop"})");
    REQUIRE(owner->expect("recording.stopped"));
    REQUIRE(guest.expect("recording.stopped"));
    REQUIRE(late.expect("recording.stopped"));

    // Ending the meeting ends a recording too, on record as the system's doing.
    owner->sendText(R"({"type":"recording.start"})");
    REQUIRE(owner->expect("recording.started"));
    owner->sendText(R"({"type":"end"})");
    REQUIRE(guest.expect("room.ended"));

    auto admin = server.admin();
    CHECK(auditCount(admin, "action=recording.start&outcome=success") == 2);
    CHECK(auditCount(admin, "action=recording.stop&outcome=success") == 2);
    CHECK(auditCount(admin, "action=recording.stop&actor=system") == 1);
    // Stopped recordings hold nothing open: the volume locks.
    const auto locked = runParleyctl(volume.args + " volume lock");
    INFO(locked.output);
    CHECK(locked.exitCode == 0);
}
