// A stored recording as a record: its track files hashed and checked, one viewing audited
// per session however many requests the player makes, and an export whose signed manifest
// verifies with stock OpenSSL and names every file.
#include "child_process.h"
#include "recording_fixture.h"
#include "signaling_fixture.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include <fstream>
#include <map>
#include <set>
#include <thread>

using namespace parley::test;
using Catch::Contains;

namespace {

std::string sha256Of(const std::filesystem::path& file)
{
    return shellOutput("sha256sum " + file.string()).substr(0, 64);
}

/// Recording 7 of Dr. Zoë Ångström (camera and microphone, 3 s) and Gus (microphone), as
/// the recorder leaves them, composed by the server's job.
struct ComposedRecording
{
    UnlockedVolume volume;
    std::filesystem::path mount = volume.mountPoint();
    RunningServer server;
    ApiClient admin{0};

    ComposedRecording()
        : server(makeServer(volume.mountPoint()))
    {
        admin = ApiClient(server.port());
        REQUIRE(admin.login("admin", kAdminPassword).status == 200);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (std::chrono::steady_clock::now() < deadline && composition() != "done")
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        INFO(server.process().output());
        REQUIRE(composition() == "done");
    }

    std::string composition()
    {
        return json(admin.call("GET", "/api/v1/recordings/7").body)->getObject("composition")->getValue<std::string>("state");
    }

    static RunningServer makeServer(const std::filesystem::path& mount)
    {
        std::filesystem::create_directories(mount / "7");
        const auto tone = [](int hertz) {
            return "ffmpeg -v error -f lavfi -i sine=frequency=" + std::to_string(hertz) +
                   ":sample_rate=48000 -ac 2 -t 3 -c:a libopus ";
        };
        REQUIRE(shellOutput("ffmpeg -v error -f lavfi -i testsrc=size=640x360:rate=15 -t 3 -c:v libvpx -b:v 200k " +
                            (mount / "7" / "1-p_1-video.webm").string())
                    .empty());
        REQUIRE(shellOutput(tone(440) + (mount / "7" / "0-p_0-audio.webm").string()).empty());
        REQUIRE(shellOutput(tone(660) + (mount / "7" / "2-g_0-audio.webm").string()).empty());
        return RunningServer(
            fastAccounts({"--set", "volume.mount_point=" + mount.string(), "--set", "recording.view_idle_seconds=5"}),
            [](const std::filesystem::path& dataDir) {
                REQUIRE(runParleyctl(ctlArgs(dataDir) + " user create-admin admin", kAdminPassword).exitCode == 0);
                Poco::Data::SQLite::Connector::registerConnector();
                Poco::Data::Session session("SQLite", (dataDir / "parley.db").string());
                session << "INSERT INTO recordings (id, room_id, room_title, started_by, started_at, stopped_at, "
                           "state, directory, composition) VALUES (7, 1, 'Tumour board', 'admin', 1800000000, "
                           "1800000003, 'recorded', '7', 'pending')",
                    Poco::Data::Keywords::now;
                session << "INSERT INTO recording_tracks (recording_id, file, track_id, label, codec, first_ms, "
                           "last_ms, frames, display_name) VALUES "
                           "(7, '0-p_0-audio.webm', 'p/0', 'audio', 'opus', 0, 2980, 150, 'Dr. Zoë Ångström'), "
                           "(7, '1-p_1-video.webm', 'p/1', 'video', 'VP8', 0, 2933, 45, 'Dr. Zoë Ångström'), "
                           "(7, '2-g_0-audio.webm', 'g/0', 'audio', 'opus', 0, 2980, 150, 'Gus')",
                    Poco::Data::Keywords::now;
            });
    }
};

} // namespace

TEST_CASE("A composed recording's track files are hashed and checked with the composed file", "[recording]")
{
    ComposedRecording recording;
    auto& admin = recording.admin;
    const auto stored = json(admin.call("GET", "/api/v1/recordings/7").body);
    const auto tracks = stored->getArray("tracks");
    REQUIRE(tracks->size() == 3);
    for (std::size_t i = 0; i < tracks->size(); ++i) {
        const auto track = tracks->getObject(static_cast<unsigned>(i));
        const auto file = track->getValue<std::string>("file");
        INFO(file);
        CHECK(track->getValue<std::string>("sha256") == sha256Of(recording.mount / "7" / file));
        CHECK(track->getValue<std::string>("mediaUrl") == "/api/v1/recordings/7/tracks/" + std::to_string(i + 1) + "/media");
    }
    CHECK(tracks->getObject(1)->getValue<std::string>("displayName") == "Dr. Zoë Ångström");
    REQUIRE(json(admin.call("POST", "/api/v1/recordings/7/verify").body)->getValue<std::string>("result") == "ok");

    // A changed track file is found, named in the audit entry; a missing one too.
    flipMiddleByte(recording.mount / "7" / "2-g_0-audio.webm");
    CHECK(json(admin.call("POST", "/api/v1/recordings/7/verify").body)->getValue<std::string>("result") == "mismatch");
    const auto entry = json(admin.call("GET", "/api/v1/audit?action=recording.verify&outcome=failure").body)
                           ->getArray("entries")->getObject(0);
    CHECK_THAT(entry->getObject("details")->getValue<std::string>("tracks"), Contains("2-g_0-audio.webm: mismatch"));
    // The result is the first file at fault (the composed file first, then the tracks in
    // order); the entry names every one.
    std::filesystem::remove(recording.mount / "7" / "0-p_0-audio.webm");
    CHECK(json(admin.call("POST", "/api/v1/recordings/7/verify").body)->getValue<std::string>("result") == "missing");
    CHECK(auditCount(admin, "action=recording.verify&outcome=failure") == 2);
    const auto second = json(admin.call("GET", "/api/v1/audit?action=recording.verify&outcome=failure").body)
                            ->getArray("entries")->getObject(1)->getObject("details")->getValue<std::string>("tracks");
    CHECK(second == "0-p_0-audio.webm: missing; 2-g_0-audio.webm: mismatch");
}

TEST_CASE("A player's many range requests are one viewing: audited when it starts and, summarised, when it ends",
          "[recording]")
{
    ComposedRecording recording;
    auto& admin = recording.admin;
    // A player: the composed file in pieces, and the track files while it was being made.
    for (int i = 0; i < 12; ++i) {
        const auto from = std::to_string(i * 1000);
        CHECK(admin.call("GET", "/api/v1/recordings/7/media", {}, false, "Range: bytes=" + from + "-" +
                                                                             std::to_string(i * 1000 + 999) + "\r\n")
                  .status == 206);
    }
    CHECK(admin.call("GET", "/api/v1/recordings/7/tracks/2/media", {}, false, "Range: bytes=0-\r\n").status == 206);
    CHECK(admin.call("GET", "/api/v1/recordings/7/tracks/1/media").status == 200);
    CHECK(admin.call("GET", "/api/v1/recordings/7/tracks/9/media").status == 404);
    CHECK(admin.call("GET", "/api/v1/recordings/7/tracks/0/media").status == 404);
    CHECK(auditCount(admin, "action=recording.view") == 1);
    // Another session is another viewing.
    ApiClient again(recording.server.port());
    REQUIRE(again.login("admin", kAdminPassword).status == 200);
    CHECK(again.call("GET", "/api/v1/recordings/7/media", {}, false, "Range: bytes=0-99\r\n").status == 206);
    CHECK(auditCount(admin, "action=recording.view") == 2);

    // After the pause that ends a viewing (5 s here), each is summarised once.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (auditCount(admin, "action=recording.view.end") < 2 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const auto ends = json(admin.call("GET", "/api/v1/audit?action=recording.view.end").body)->getArray("entries");
    REQUIRE(ends->size() == 2);
    std::map<std::int64_t, Poco::JSON::Object::Ptr> byRequests;
    for (unsigned i = 0; i < ends->size(); ++i) {
        const auto details = ends->getObject(i)->getObject("details");
        byRequests[details->getValue<std::int64_t>("requests")] = details;
        CHECK(ends->getObject(i)->getValue<std::string>("target") == "recording:7");
    }
    REQUIRE(byRequests.contains(14));
    const auto summary = byRequests[14];
    // Twelve adjacent pieces are one range; the track files are named with theirs.
    CHECK_THAT(summary->getValue<std::string>("ranges"), Contains("recording-7.webm: 0-11999"));
    CHECK_THAT(summary->getValue<std::string>("ranges"), Contains("1-p_1-video.webm: 0-"));
    CHECK_THAT(summary->getValue<std::string>("ranges"), Contains("0-p_0-audio.webm: 0-"));
    // The start and the end name the same viewing.
    const auto starts = json(admin.call("GET", "/api/v1/audit?action=recording.view").body)->getArray("entries");
    std::set<std::string> startIds, endIds;
    for (unsigned i = 0; i < 2; ++i) {
        startIds.insert(starts->getObject(i)->getObject("details")->getValue<std::string>("viewing"));
        endIds.insert(ends->getObject(i)->getObject("details")->getValue<std::string>("viewing"));
    }
    CHECK(startIds == endIds);
    // A request after the pause starts a new viewing.
    CHECK(admin.call("GET", "/api/v1/recordings/7/media", {}, false, "Range: bytes=0-99\r\n").status == 206);
    CHECK(auditCount(admin, "action=recording.view") == 3);
}

TEST_CASE("An exported recording's signed manifest verifies with OpenSSL and names every file, and a changed file "
          "stops the export",
          "[recording]")
{
    ComposedRecording recording;
    auto& admin = recording.admin;
    const auto key = json(admin.call("GET", "/api/v1/recordings/signing-key").body);
    CHECK(key->getValue<std::string>("algorithm") == "Ed25519");
    const auto fingerprint = key->getValue<std::string>("sha256");

    const auto exported = admin.call("GET", "/api/v1/recordings/7/export");
    REQUIRE(exported.status == 200);
    CHECK(exported.header("content-type") == "application/zip");
    CHECK_THAT(exported.header("content-disposition"), Contains("recording-7-export.zip"));
    TempDir out;
    {
        std::ofstream(out / "export.zip", std::ios::binary) << exported.body;
    }
    // Python's zipfile (Debian's python3) reads it as any unzip tool would.
    INFO(shellOutput("python3 -m zipfile -l " + (out / "export.zip").string()));
    REQUIRE(shellOutput("cd " + out.path().string() + " && python3 -m zipfile -e export.zip package 2>&1").empty());
    const auto package = out / "package";
    for (const auto* name : {"README.txt", "manifest.json", "manifest.json.sig", "signing-key.pem", "recording.webm",
                             "tracks/0-p_0-audio.webm", "tracks/1-p_1-video.webm", "tracks/2-g_0-audio.webm"})
        CHECK(std::filesystem::exists(package / name));

    // The signature verifies with the public key in the package, whose fingerprint is the
    // server's; a manifest changed by one byte does not verify.
    const auto verify = "cd " + package.string() +
                        " && openssl pkeyutl -verify -pubin -inkey signing-key.pem -rawin -in manifest.json "
                        "-sigfile manifest.json.sig 2>&1";
    CHECK_THAT(shellOutput(verify), Contains("Signature Verified Successfully"));
    CHECK(shellOutput("openssl pkey -pubin -in " + (package / "signing-key.pem").string() +
                      " -outform DER | sha256sum").substr(0, 64) == fingerprint);

    // The manifest names every file with its SHA-256, the meeting, the people, who exported.
    const auto manifest = json(shellOutput("cat " + (package / "manifest.json").string()));
    CHECK(manifest->getValue<std::string>("format") == "parley-recording-export/1");
    CHECK(manifest->getObject("recording")->getValue<std::string>("meeting") == "Tumour board");
    CHECK(manifest->getObject("recording")->getValue<std::string>("startedAt") == "2027-01-15T08:00:00Z");
    CHECK(manifest->getObject("recording")->getValue<std::string>("stoppedAt") == "2027-01-15T08:00:03Z");
    CHECK(manifest->getObject("exported")->getValue<std::string>("by") == "admin");
    CHECK(manifest->getObject("signature")->getValue<std::string>("publicKeySha256") == fingerprint);
    const auto files = manifest->getArray("files");
    REQUIRE(files->size() == 4);
    for (unsigned i = 0; i < files->size(); ++i) {
        const auto file = files->getObject(i);
        const auto name = file->getValue<std::string>("name");
        INFO(name);
        CHECK(file->getValue<std::string>("sha256") == sha256Of(package / name));
        CHECK(file->getValue<std::uint64_t>("bytes") == std::filesystem::file_size(package / name));
        CHECK(file->getValue<bool>("matchesStoredHash"));
    }
    const auto people = manifest->getArray("participants");
    REQUIRE(people->size() == 2);
    CHECK(people->getObject(0)->getValue<std::string>("displayName") == "Dr. Zoë Ångström");
    CHECK(people->getObject(0)->getArray("files")->size() == 2);
    CHECK(people->getObject(1)->getValue<std::string>("displayName") == "Gus");
    flipMiddleByte(package / "manifest.json");
    CHECK_THAT(shellOutput(verify), !Contains("Signature Verified Successfully"));

    // On record, with the manifest's hash.
    REQUIRE(auditCount(admin, "action=recording.export&outcome=success") == 1);
    const auto entry = json(admin.call("GET", "/api/v1/audit?action=recording.export").body)->getArray("entries")->getObject(0);
    CHECK(entry->getObject("details")->getValue<std::int64_t>("files") == 4);

    // Someone without rights is refused (and that is on record); a file changed since it
    // was recorded stops the export.
    REQUIRE(admin.call("POST", "/api/v1/users", R"({"username":"mallory","password":"mallory-password-1","role":"user"})")
                .status == 201);
    ApiClient mallory(recording.server.port());
    REQUIRE(mallory.login("mallory", "mallory-password-1").status == 200);
    CHECK(mallory.call("GET", "/api/v1/recordings/7/export").status == 403);
    CHECK(auditCount(admin, "action=recording.export&outcome=failure&actor=mallory") == 1);
    flipMiddleByte(recording.mount / "7" / "1-p_1-video.webm");
    const auto refused = admin.call("GET", "/api/v1/recordings/7/export");
    CHECK(refused.status == 409);
    CHECK_THAT(refused.body, Contains("integrity_failed"));
    CHECK_THAT(refused.body, Contains("1-p_1-video.webm"));
    CHECK(auditCount(admin, "action=recording.export&outcome=failure&actor=admin") == 1);
}
