// Starting and stopping a recording over signaling: who may, who is told, and what happens
// when the recording volume is not there.
#include "child_process.h"
#include "metrics_fixture.h"
#include "recording_fixture.h"
#include "signaling_fixture.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include <fstream>
#include <set>
#include <thread>

using namespace parley::test;
using Catch::Contains;

namespace {

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

TEST_CASE("A moderator starts and stops recording: everyone is told, late joiners see it, "
          "and the volume is let go")
{
    RecordingMeeting meeting;
    auto& [volume, server, room, owner, guest] = meeting;

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
    // Each stop names the recording it ended, the moderator's as the system's.
    const auto recordingsIn = [&](const std::string& action) {
        std::set<std::int64_t> ids;
        const auto entries =
            json(admin.call("GET", "/api/v1/audit?action=" + action + "&outcome=success").body)->getArray("entries");
        for (std::size_t i = 0; i < entries->size(); ++i)
            ids.insert(entries->getObject(i)->getObject("details")->getValue<std::int64_t>("recording"));
        return ids;
    };
    CHECK(recordingsIn("recording.start").size() == 2);
    CHECK(recordingsIn("recording.stop") == recordingsIn("recording.start"));
    // Stopped recordings hold nothing open: the volume locks.
    const auto locked = runParleyctl(volume.args + " volume lock");
    INFO(locked.output);
    CHECK(locked.exitCode == 0);
}

TEST_CASE("A recording shows in /metrics as the overview shows it: running, then failed, on an unlocked volume")
{
    RecordingMeeting meeting;
    auto& [volume, server, room, owner, guest] = meeting;
    const auto token = createToken(server.server().dataDir());
    auto admin = server.admin();
    const auto metrics = [&] {
        const auto response = scrape(server.port(), "Bearer " + token);
        REQUIRE(response.status == 200);
        return response.body;
    };

    const auto idle = metrics();
    CHECK(valueOf(idle, "parley_volume_unlocked") == 1);
    CHECK(valueOf(idle, "parley_volume_free_bytes") > 0);
    CHECK(valueOf(idle, "parley_volume_free_bytes") <= valueOf(idle, "parley_volume_size_bytes"));
    CHECK(valueOf(idle, R"(parley_recordings{state="recording"})") == 0);
    CHECK(valueOf(idle, "parley_composition_duration_seconds_count") < 0); // nothing composed yet

    owner->sendText(R"({"type":"recording.start"})");
    REQUIRE(owner->expect("recording.started"));
    const auto recording = metrics();
    const auto overview = json(admin.call("GET", "/api/v1/admin/overview").body);
    CHECK(valueOf(recording, R"(parley_recordings{state="recording"})") == 1);
    CHECK(overview->getObject("recordings")->getValue<double>("running") == 1);
    CHECK(overview->getObject("volume")->getValue<double>("sizeBytes") ==
          valueOf(recording, "parley_volume_size_bytes"));

    // Nobody sent media: there is nothing to compose, so the recording counts as failed at
    // once (what the ParleyCompositionFailing alert watches), and no composition ran.
    owner->sendText(R"({"type":"recording.stop"})");
    REQUIRE(owner->expect("recording.stopped"));
    std::string done;
    for (int i = 0; i < 100; ++i) {
        done = metrics();
        if (valueOf(done, R"(parley_recordings{state="failed"})") >= 1)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(valueOf(done, "parley_composition_duration_seconds_count") < 0);
    CHECK(valueOf(done, R"(parley_recordings{state="recording"})") == 0);
    CHECK(valueOf(done, R"(parley_recordings{state="failed"})") == 1);
    CHECK(valueOf(done, "parley_composition_queue_length") == 0);
}

namespace {

Poco::JSON::Object::Ptr recordingOf(ApiClient& client, std::int64_t id)
{
    const auto response = client.call("GET", "/api/v1/recordings/" + std::to_string(id));
    REQUIRE(response.status == 200);
    return json(response.body);
}

std::size_t listed(ApiClient& client)
{
    const auto response = client.call("GET", "/api/v1/recordings");
    REQUIRE(response.status == 200);
    return json(response.body)->getArray("recordings")->size();
}

/// Moves a recording's stop time `days` into the past, as if that long had gone by.
void age(const std::filesystem::path& dataDir, std::int64_t id, int days)
{
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session session("SQLite", (dataDir / "parley.db").string());
    Poco::Int64 key = id, seconds = std::int64_t{days} * 86400;
    session << "UPDATE recordings SET stopped_at = stopped_at - ? WHERE id = ?", Poco::Data::Keywords::use(seconds),
        Poco::Data::Keywords::use(key), Poco::Data::Keywords::now;
}

} // namespace

TEST_CASE("Recordings over REST: started and stopped by the room's manager, seen only by those allowed, shared, "
          "deleted, and removed by retention")
{
    UnlockedVolume volume;
    SignalingServer server({"--set", "volume.mount_point=" + volume.mountPoint().string(), "--set",
                            "recording.maintenance_interval_seconds=1"});
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false,"recordingRetentionDays":2})");
    const std::string control = "/api/v1/rooms/" + std::to_string(room.id) + "/recording";
    auto mallory = server.userWithRole("mallory", "user");
    auto auditor = server.userWithRole("audrey", "auditor");
    auto admin = server.admin();

    const std::string roomPath = "/api/v1/rooms/" + std::to_string(room.id);
    for (const auto* bad : {R"({"recordingRetentionDays":-1})", R"({"recordingRetentionDays":"2"})",
                            R"({"recordingRetentionDays":1.5})", R"({"recordingRetentionDays":99999999999})"})
        CHECK(errorCode(server.owner.call("PATCH", roomPath, bad)) == "invalid_request");
    CHECK(json(server.owner.call("GET", roomPath).body)->getValue<int>("recordingRetentionDays") == 2);

    // No meeting running: nothing to record.
    CHECK(errorCode(server.owner.call("POST", control, R"({"action":"start"})")) == "meeting_not_running");
    auto owner = server.ownerJoins(room);
    // Someone who may not manage the room does not learn it exists.
    CHECK(mallory.call("POST", control, R"({"action":"start"})").status == 404);
    for (const auto* body : {R"({"action":"record"})", R"({"action":7})", R"({})", R"([])"})
        CHECK(server.owner.call("POST", control, body).status == 400);

    const auto started = server.owner.call("POST", control, R"({"action":"start"})");
    REQUIRE(started.status == 200);
    const auto id = json(started.body)->getValue<std::int64_t>("recordingId");
    REQUIRE(owner->expect("recording.started"));
    CHECK(errorCode(server.owner.call("POST", control, R"({"action":"start"})")) == "already_recording");
    const auto stopped = server.owner.call("POST", control, R"({"action":"stop"})");
    REQUIRE(stopped.status == 200);
    CHECK(json(stopped.body)->getValue<std::int64_t>("recordingId") == id);
    REQUIRE(owner->expect("recording.stopped"));
    const auto stops = json(admin.call("GET", "/api/v1/audit?action=recording.stop&outcome=success").body);
    REQUIRE(stops->getValue<int>("total") == 1);
    CHECK(stops->getArray("entries")->getObject(0)->getObject("details")->getValue<std::int64_t>("recording") == id);
    CHECK(errorCode(server.owner.call("POST", control, R"({"action":"stop"})")) == "not_recording");
    CHECK(auditCount(admin, "action=recording.start&outcome=success&actor=owner") == 1);
    CHECK(auditCount(admin, "action=recording.stop&outcome=success&actor=owner") == 1);

    // Nobody sent media: stored, with nothing to compose, kept for the room's two days.
    const auto stored = recordingOf(server.owner, id);
    CHECK(stored->getValue<std::string>("state") == "recorded");
    CHECK(stored->getObject("composition")->getValue<std::string>("state") == "failed");
    CHECK(stored->getValue<int>("retentionDays") == 2);
    CHECK(stored->has("expiresAt"));
    CHECK_FALSE(stored->has("mediaUrl"));

    // Who sees what: the owner and admins everything, an auditor the metadata, anyone else
    // nothing (403, on record).
    CHECK(listed(server.owner) == 1);
    CHECK(listed(admin) == 1);
    CHECK(listed(auditor) == 1);
    CHECK(listed(mallory) == 0);
    const auto path = "/api/v1/recordings/" + std::to_string(id);
    CHECK(mallory.call("GET", path).status == 403);
    CHECK(mallory.call("GET", path + "/media").status == 403);
    CHECK(mallory.call("GET", path + "/download").status == 403);
    CHECK(mallory.call("DELETE", path).status == 403);
    CHECK(mallory.call("POST", path + "/shares", R"({"username":"mallory"})").status == 403);
    CHECK(auditor.call("GET", path).status == 200);
    CHECK(auditor.call("GET", path + "/media").status == 403);
    CHECK(auditor.call("DELETE", path).status == 403);
    CHECK(auditCount(admin, "action=recording.view&outcome=failure") == 2);
    CHECK(auditCount(admin, "action=recording.delete&outcome=failure") == 2);
    CHECK(server.owner.call("GET", "/api/v1/recordings/999999").status == 404);

    // Shared with mallory: she sees it (not its shares) and may not delete it; taken back, not.
    CHECK(server.owner.call("POST", path + "/shares", R"({"username":"nobody-here"})").status == 400);
    const auto shared = server.owner.call("POST", path + "/shares", R"({"username":"mallory"})");
    REQUIRE(shared.status == 201);
    const auto shares = json(shared.body)->getArray("shares");
    REQUIRE(shares->size() == 1);
    CHECK(shares->getObject(0)->getValue<std::string>("username") == "mallory");
    const auto seen = json(mallory.call("GET", path).body);
    CHECK(seen->getObject("rights")->getValue<bool>("play"));
    CHECK_FALSE(seen->has("shares"));
    CHECK(listed(mallory) == 1);
    CHECK(mallory.call("DELETE", path).status == 403);
    const auto malloryId = shares->getObject(0)->getValue<std::int64_t>("userId");
    CHECK(server.owner.call("DELETE", path + "/shares/" + std::to_string(malloryId)).status == 204);
    CHECK(mallory.call("GET", path).status == 403);
    CHECK(auditCount(admin, "action=recording.share&outcome=success") == 1);
    CHECK(auditCount(admin, "action=recording.unshare&outcome=success") == 1);

    // A second recording, deleted by its owner.
    REQUIRE(server.owner.call("POST", control, R"({"action":"start"})").status == 200);
    REQUIRE(server.owner.call("POST", control, R"({"action":"stop"})").status == 200);
    const auto second = json(server.owner.call("GET", "/api/v1/recordings").body)
                            ->getArray("recordings")->getObject(0)->getValue<std::int64_t>("id");
    REQUIRE(second != id);
    CHECK(server.owner.call("DELETE", "/api/v1/recordings/" + std::to_string(second)).status == 204);
    CHECK(server.owner.call("GET", "/api/v1/recordings/" + std::to_string(second)).status == 404);
    CHECK(auditCount(admin, "action=recording.delete&outcome=success&actor=owner") == 1);

    // Retention: one day old is kept; three days old (the room keeps two) is deleted by the
    // server, on record as the system's doing.
    age(server.server().dataDir(), id, 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    CHECK(listed(server.owner) == 1);
    age(server.server().dataDir(), id, 2);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (listed(server.owner) != 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(listed(server.owner) == 0);
    CHECK(auditCount(admin, "action=recording.delete&actor=system&outcome=success") == 1);
    const auto entry = json(admin.call("GET", "/api/v1/audit?action=recording.delete&actor=system").body)
                           ->getArray("entries")->getObject(0);
    CHECK(entry->getObject("details")->getValue<std::string>("reason") == "retention");
    CHECK(entry->getValue<std::string>("target") == "recording:" + std::to_string(id));
}

TEST_CASE("A recording stops itself when the volume fills up: everyone is told why, and it is on record")
{
    RecordingMeeting meeting;
    auto& [volume, server, room, owner, guest] = meeting;
    owner->sendText(R"({"type":"recording.start"})");
    REQUIRE(owner->expect("recording.started"));
    REQUIRE(guest.expect("recording.started"));

    // Something else takes the space (as root, inside the volume).
    const auto filler = volume.mountPoint() / "filler";
    const auto space = std::filesystem::space(volume.mountPoint());
    const auto fill = space.available - 8 * 1024 * 1024;
    REQUIRE(shellOutput("fallocate -l " + std::to_string(fill) + " " + filler.string()).empty());

    for (auto* client : {owner.get(), &guest}) {
        const auto stopped = client->expect("recording.stopped", std::chrono::seconds(10));
        REQUIRE(stopped);
        CHECK(stopped->getValue<std::string>("by") == "system");
        CHECK_THAT(stopped->getValue<std::string>("reason"), Contains("volume is full"));
    }
    auto admin = server.admin();
    CHECK(auditCount(admin, "action=recording.stop&actor=system&outcome=success") == 1);
    // Stored with what it has, not running any more: a new start is refused for the same
    // reason, with nothing started.
    const auto list = json(server.owner.call("GET", "/api/v1/recordings").body)->getArray("recordings");
    REQUIRE(list->size() == 1);
    CHECK(list->getObject(0)->getValue<std::string>("state") == "recorded");
    owner->sendText(R"({"type":"recording.start"})");
    const auto refused = owner->expect("error");
    REQUIRE(refused);
    CHECK(refused->getValue<std::string>("code") == "recording_unavailable");
    CHECK_THAT(refused->getValue<std::string>("message"), Contains("full"));
    std::filesystem::remove(filler);
}

TEST_CASE("A composition cut short by a restart is done at the next start, and a failing one keeps its tracks")
{
    UnlockedVolume volume;
    const auto mount = volume.mountPoint();
    // Recording 7: a camera and a microphone for 3 s, and the partial file a composition
    // killed with the server left behind. Recording 8: its camera file is damaged.
    std::filesystem::create_directories(mount / "7");
    std::filesystem::create_directories(mount / "8");
    // Recording 9: the server died while recording; its files were never listed.
    std::filesystem::create_directories(mount / "9");
    const auto tone = "ffmpeg -v error -f lavfi -i sine=frequency=440:sample_rate=48000 -ac 2 -t 3 -c:a libopus ";
    REQUIRE(shellOutput("ffmpeg -v error -f lavfi -i testsrc=size=320x240:rate=15 -t 3 -c:v libvpx -b:v 200k " +
                        (mount / "7" / "1-p-video.webm").string())
                .empty());
    REQUIRE(shellOutput(tone + (mount / "7" / "0-p-audio.webm").string()).empty());
    REQUIRE(shellOutput(tone + (mount / "8" / "1-q-audio.webm").string()).empty());
    REQUIRE(shellOutput(tone + (mount / "9" / "0-r_0-audio.webm").string()).empty());
    std::filesystem::copy_file(mount / "7" / "1-p-video.webm", mount / "9" / "1-r_1-video.webm");
    std::ofstream(mount / "7" / "recording.webm.partial") << "cut short";
    std::ofstream(mount / "8" / "0-q-video.webm") << std::string(5000, 'x');

    RunningServer server(
        fastAccounts({"--set", "volume.mount_point=" + mount.string(), "--set", "recording.keep_tracks=false",
                      "--set", "recording.compose_attempts=2"}),
        [](const std::filesystem::path& dataDir) {
            REQUIRE(runParleyctl(ctlArgs(dataDir) + " user create-admin admin", kAdminPassword).exitCode == 0);
            Poco::Data::SQLite::Connector::registerConnector();
            Poco::Data::Session session("SQLite", (dataDir / "parley.db").string());
            session << "INSERT INTO recordings (id, room_id, room_title, started_by, started_at, stopped_at, state, "
                       "directory, composition, compose_attempts) VALUES "
                       "(7, 1, 'Consultation', 'admin', 1800000000, 1800000003, 'recorded', '7', 'composing', 1), "
                       "(8, 1, 'Consultation', 'admin', 1800000100, 1800000103, 'recorded', '8', 'composing', 1)",
                Poco::Data::Keywords::now;
            session << "INSERT INTO recordings (id, room_id, room_title, started_by, started_at, state, directory) "
                       "VALUES (9, 1, 'Consultation', 'admin', 1800000200, 'recording', '9')",
                Poco::Data::Keywords::now;
            session << "INSERT INTO recording_tracks (recording_id, file, track_id, label, codec, first_ms, last_ms, "
                       "frames) VALUES (7, '0-p-audio.webm', 'p/0', 'audio', 'opus', 0, 2980, 150), "
                       "(7, '1-p-video.webm', 'p/1', 'video', 'VP8', 0, 2933, 45), "
                       "(8, '0-q-video.webm', 'q/0', 'video', 'VP8', 0, 2933, 45), "
                       "(8, '1-q-audio.webm', 'q/1', 'audio', 'opus', 0, 2980, 150)",
                Poco::Data::Keywords::now;
        });
    ApiClient admin(server.port());
    REQUIRE(admin.login("admin", kAdminPassword).status == 200);
    const auto compositionOf = [&admin](int id) {
        return json(admin.call("GET", "/api/v1/recordings/" + std::to_string(id)).body);
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline &&
           (compositionOf(7)->getObject("composition")->getValue<std::string>("state") != "done" ||
            compositionOf(8)->getObject("composition")->getValue<std::string>("state") != "failed" ||
            compositionOf(9)->getObject("composition")->getValue<std::string>("state") != "done"))
        std::this_thread::sleep_for(std::chrono::milliseconds(200));

    const auto done = compositionOf(7);
    INFO(server.process().output());
    REQUIRE(done->getObject("composition")->getValue<std::string>("state") == "done");
    CHECK(done->getObject("composition")->getValue<int>("attempts") == 2);
    CHECK(done->getValue<std::int64_t>("durationMs") == Approx(3000).margin(150));
    const auto composed = mount / "7" / "recording.webm";
    CHECK(done->getValue<std::int64_t>("sizeBytes") == static_cast<std::int64_t>(std::filesystem::file_size(composed)));
    CHECK(shellOutput("sha256sum " + composed.string()).substr(0, 64) == done->getValue<std::string>("sha256"));
    CHECK(shellOutput("ffprobe -v error -show_entries stream=codec_name -of csv=p=0 " + composed.string()) ==
          "vp8\nopus\n");
    CHECK_FALSE(std::filesystem::exists(mount / "7" / "recording.webm.partial"));
    // recording.keep_tracks=false: the track files went once the composed file was there.
    CHECK_FALSE(std::filesystem::exists(mount / "7" / "0-p-audio.webm"));
    CHECK_FALSE(std::filesystem::exists(mount / "7" / "1-p-video.webm"));
    CHECK(done->getArray("tracks")->size() == 0);

    // The damaged one failed for good (its attempts used up), saying which file; its
    // tracks are all still there, nothing partial is.
    const auto failed = compositionOf(8)->getObject("composition");
    CHECK(failed->getValue<std::string>("state") == "failed");
    CHECK_THAT(failed->getValue<std::string>("error"), Contains("0-q-video.webm"));
    CHECK(std::filesystem::exists(mount / "8" / "0-q-video.webm"));
    CHECK(std::filesystem::exists(mount / "8" / "1-q-audio.webm"));
    CHECK_FALSE(std::filesystem::exists(mount / "8" / "recording.webm.partial"));

    // The interrupted one: marked so at start, composed from the files it had written.
    const auto interrupted = compositionOf(9);
    CHECK(interrupted->getValue<std::string>("error") == "interrupted");
    CHECK(interrupted->getObject("composition")->getValue<std::string>("state") == "done");
    CHECK(interrupted->getValue<std::int64_t>("durationMs") == Approx(3000).margin(150));
    CHECK(shellOutput("ffprobe -v error -show_entries stream=codec_name -of csv=p=0 " +
                      (mount / "9" / "recording.webm").string()) == "vp8\nopus\n");

    // Integrity on demand: a flipped byte in the composed file is found and on record.
    REQUIRE(json(admin.call("POST", "/api/v1/recordings/7/verify").body)->getValue<std::string>("result") == "ok");
    flipMiddleByte(composed);
    CHECK(json(admin.call("POST", "/api/v1/recordings/7/verify").body)->getValue<std::string>("result") == "mismatch");
    CHECK(compositionOf(7)->getObject("integrity")->getValue<std::string>("result") == "mismatch");
    CHECK(auditCount(admin, "action=recording.verify&outcome=failure") == 1);
    std::filesystem::remove(composed);
    CHECK(json(admin.call("POST", "/api/v1/recordings/7/verify").body)->getValue<std::string>("result") == "missing");
    CHECK(admin.call("GET", "/api/v1/recordings/7/media").status == 404);

    // /metrics timed each composition that ran (7 and 9 done, 8's last attempt failed) and
    // counts 8 as failed.
    const auto scraped = scrape(server.port(), "Bearer " + createToken(server.dataDir()));
    REQUIRE(scraped.status == 200);
    CHECK(valueOf(scraped.body, "parley_composition_duration_seconds_count") == 3);
    CHECK(valueOf(scraped.body, "parley_composition_duration_seconds_sum") > 0);
    CHECK(valueOf(scraped.body, R"(parley_composition_duration_seconds_bucket{le="+Inf"})") == 3);
    CHECK(valueOf(scraped.body, R"(parley_recordings{state="failed"})") == 1);
    CHECK(valueOf(scraped.body, "parley_composition_queue_length") == 0);
}

TEST_CASE("An admin's and an auditor's powers over others' rooms and recordings hold only from the addresses the "
          "admin lists permit")
{
    UnlockedVolume volume;
    SignalingServer server({"--set", "volume.mount_point=" + volume.mountPoint().string(), "--set",
                            "access.admin_deny=127.0.0.3"});
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    const std::string control = "/api/v1/rooms/" + std::to_string(room.id) + "/recording";
    auto owner = server.ownerJoins(room);
    REQUIRE(server.owner.call("POST", control, R"({"action":"start"})").status == 200);
    REQUIRE(server.owner.call("POST", control, R"({"action":"stop"})").status == 200);
    const auto id = json(server.owner.call("GET", "/api/v1/recordings").body)
                        ->getArray("recordings")->getObject(0)->getValue<std::int64_t>("id");
    const std::string recording = "/api/v1/recordings/" + std::to_string(id);
    const std::string roomPath = "/api/v1/rooms/" + std::to_string(room.id);

    auto admin = server.admin();
    auto auditor = server.userWithRole("audrey", "auditor");
    // From a permitted address: the role's powers.
    CHECK(admin.call("GET", roomPath).status == 200);
    CHECK(admin.call("GET", recording).status == 200);
    CHECK(listed(admin) == 1);
    CHECK(auditor.call("GET", recording).status == 200);

    // The same sessions from a denied address: plain users (the admin endpoints refuse them
    // outright, as before).
    admin.setSourceAddress("127.0.0.3");
    auditor.setSourceAddress("127.0.0.3");
    CHECK(errorCode(admin.call("GET", "/api/v1/users")) == "address_denied");
    CHECK(admin.call("GET", roomPath).status == 404);
    CHECK(admin.call("PATCH", roomPath, R"({"locked":true})").status == 404);
    CHECK(admin.call("GET", recording).status == 403);
    CHECK(admin.call("GET", recording + "/media").status == 403);
    CHECK(admin.call("DELETE", recording).status == 403);
    CHECK(listed(admin) == 0);
    CHECK(auditor.call("GET", recording).status == 403);
    CHECK(listed(auditor) == 0);
    // The owner's own access does not depend on the lists.
    server.owner.setSourceAddress("127.0.0.3");
    CHECK(server.owner.call("GET", recording).status == 200);
    CHECK(server.owner.call("GET", roomPath).status == 200);
}

TEST_CASE("The default recording retention changed through the settings API applies to stored recordings at once")
{
    UnlockedVolume volume;
    SignalingServer server({"--set", "volume.mount_point=" + volume.mountPoint().string(), "--set",
                            "recording.maintenance_interval_seconds=1", "--set", "recording.retention_days=0"});
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    const std::string control = "/api/v1/rooms/" + std::to_string(room.id) + "/recording";
    auto owner = server.ownerJoins(room);
    const auto started = server.owner.call("POST", control, R"({"action":"start"})");
    REQUIRE(started.status == 200);
    const auto id = json(started.body)->getValue<std::int64_t>("recordingId");
    REQUIRE(server.owner.call("POST", control, R"({"action":"stop"})").status == 200);
    CHECK_FALSE(recordingOf(server.owner, id)->has("expiresAt")); // the file keeps recordings

    auto admin = server.admin();
    REQUIRE(admin.call("PUT", "/api/v1/admin/settings", R"({"recordingRetentionDays":2})").status == 200);
    const auto stored = recordingOf(server.owner, id);
    CHECK(stored->getValue<int>("retentionDays") == 2);
    CHECK(stored->has("expiresAt"));

    // Three days old: the next retention run deletes it, on record as the system's doing.
    age(server.server().dataDir(), id, 3);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (listed(server.owner) != 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(listed(server.owner) == 0);
    CHECK(auditCount(admin, "action=recording.delete&actor=system&outcome=success") == 1);
}
