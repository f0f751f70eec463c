// parleyctl backup against a real parleyd: an archive made while a room is in use restores
// onto a fresh data directory and a server started there has everything back; damage, another
// key and a newer format are refused clearly; a restore never writes under a running server.
#include "metrics_fixture.h"
#include "recording_fixture.h"
#include "volume_args.h"

#include <parley/storage/data_directory_lock.h>

#include <csignal>
#include <functional>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

using namespace parley::test;
using Catch::Contains;

namespace {

namespace fs = std::filesystem;

/// The only backup in `directory`.
fs::path onlyBackup(const fs::path& directory)
{
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(directory))
        if (entry.path().extension() == ".pbk")
            found.push_back(entry.path());
    REQUIRE(found.size() == 1);
    return found[0];
}

/// Names and sizes of everything under `directory`, to show that nothing changed.
std::map<std::string, std::uintmax_t> listing(const fs::path& directory)
{
    std::map<std::string, std::uintmax_t> files;
    for (const auto& entry : fs::recursive_directory_iterator(directory))
        files[entry.path().string()] = entry.is_regular_file() ? entry.file_size() : 0;
    return files;
}

std::string fingerprint(const fs::path& dataDir)
{
    return runParleyctl("--set server.data_dir=" + dataDir.string() + " tls fingerprint").output;
}

} // namespace

TEST_CASE("A backup made during a meeting with a recording running restores onto a fresh data directory with "
          "users, rooms, recordings, audit chain and directory settings", "[backup]")
{
    // The owner and a guest in the owner's room (over signaling, no media), recording into a
    // real unlocked volume (userspace engine) while the backup is made.
    RecordingMeeting meeting;
    auto& server = meeting.server;
    const auto& personal = meeting.room;
    const auto dataDir = server.server().dataDir();
    auto admin = server.admin();
    const auto meetingRoom = roomFrom(server.owner.call(
        "POST", "/api/v1/rooms",
        R"({"title":"Ward round before the backup","startsAt":")" + isoTime(std::chrono::system_clock::now() + std::chrono::hours(24)) +
            R"(","endsAt":")" + isoTime(std::chrono::system_clock::now() + std::chrono::hours(25)) + "\"}"));
    REQUIRE(admin.call("PUT", "/api/v1/admin/ldap",
                       R"({"uris":["ldap://127.0.0.1:9"],"userBase":"ou=people,dc=backup,dc=example"})")
                .status == 200);
    meeting.owner->sendText(R"({"type":"recording.start"})");
    REQUIRE(meeting.owner->expect("recording.started"));
    const auto ctl = ctlArgs(dataDir) + " --set volume.container=" + (meeting.volume.dir / "recordings.luks").string();

    TempDir dir;
    const auto key = dir / "backup.key";
    const auto created = runParleyctl("backup create-key " + key.string());
    REQUIRE(created.exitCode == 0);
    fs::create_directory(dir / "backups");
    const auto made = runParleyctl(ctl + " backup create --to " + (dir / "backups").string() + " --key-file " +
                                   key.string());
    INFO(made.output);
    REQUIRE(made.exitCode == 0);
    CHECK_THAT(made.output, Contains("parley.db") && Contains("audit.key") && Contains("tls/selfsigned.crt") &&
                                Contains("tls/selfsigned.key") && Contains("luks-header.img"));
    // The meeting and the recording went on.
    meeting.owner->sendText(R"({"type":"recording.stop"})");
    REQUIRE(meeting.owner->expect("recording.stopped"));
    const auto archive = onlyBackup(dir / "backups");
    CHECK_THAT(runParleyctl(ctlArgs(dataDir) + " backup list " + (dir / "backups").string()).output,
               Contains(archive.filename().string()) && Contains("1 backup in"));
    // Something written after the backup is not in it.
    REQUIRE(admin.call("POST", "/api/v1/users", R"({"username":"after","password":"after-password","role":"user"})")
                .status == 201);

    SECTION("one changed byte of a copy is named by verify")
    {
        auto bytes = readFile(archive);
        bytes[4096] ^= 0x20; // past the header and the manifest's record: the database's first record
        writeFile(dir / "copy.pbk", bytes);
        const auto verified = runParleyctl(ctlArgs(dataDir) + " backup verify " + (dir / "copy.pbk").string() +
                                           " --key-file " + key.string());
        CHECK(verified.exitCode == 1);
        CHECK_THAT(verified.output, Contains("is damaged at bytes") && Contains("member 'parley.db'"));
        const auto intact = runParleyctl(ctlArgs(dataDir) + " backup verify " + archive.string() + " --key-file " +
                                         key.string());
        CHECK(intact.exitCode == 0);
        CHECK_THAT(intact.output, Contains("intact (format 1"));
        // Restoring the damaged copy writes nothing.
        const auto refused = runParleyctl(ctlArgs(dataDir) + " backup restore " + (dir / "copy.pbk").string() +
                                          " --to " + (dir / "fresh").string() + " --key-file " + key.string());
        CHECK(refused.exitCode == 1);
        CHECK_THAT(refused.output, Contains("nothing was changed"));
        CHECK_FALSE(fs::exists(dir / "fresh"));
    }

    SECTION("restored onto a fresh data directory, parleyd has it all back")
    {
        const auto fresh = dir / "fresh";
        const auto restored = runParleyctl(ctlArgs(fresh) + " backup restore " + archive.string() + " --to " +
                                           fresh.string() + " --key-file " + key.string());
        INFO(restored.output);
        REQUIRE(restored.exitCode == 0);
        CHECK(fs::exists(fresh / "parley.db"));
        CHECK(fingerprint(fresh) == fingerprint(dataDir)); // the same TLS certificate

        ParleydProcess again(fastAccounts({"--set", "server.data_dir=" + fresh.string(), "--set", "server.port=0"}),
                             dir.path());
        const auto port = again.servingPort();
        INFO(again.output());
        REQUIRE(port != 0);
        ApiClient restoredAdmin(port);
        REQUIRE(restoredAdmin.login("admin", kAdminPassword).status == 200);
        ApiClient owner(port);
        REQUIRE(owner.login("owner", "owner-password").status == 200);
        const auto users = restoredAdmin.call("GET", "/api/v1/users").body;
        CHECK_THAT(users, Contains("\"owner\""));
        CHECK_THAT(users, !Contains("\"after\""));
        const auto rooms = owner.call("GET", "/api/v1/rooms").body;
        CHECK_THAT(rooms, Contains(personal.link) && Contains(meetingRoom.meetingId) &&
                              Contains("Ward round before the backup"));
        const auto recordings = json(restoredAdmin.call("GET", "/api/v1/recordings").body)->getArray("recordings");
        REQUIRE(recordings->size() == 1);
        CHECK(recordings->getObject(0)->getValue<std::int64_t>("roomId") == personal.id);
        const auto ldap = json(restoredAdmin.call("GET", "/api/v1/admin/ldap").body);
        CHECK(ldap->getValue<std::string>("source") == "admin_api");
        std::ostringstream ldapText;
        ldap->stringify(ldapText);
        CHECK_THAT(ldapText.str(), Contains("ldap://127.0.0.1:9") && Contains("ou=people,dc=backup,dc=example"));
        // The backup is on record in the original log, the restore in the restored one.
        CHECK(auditCount(admin, "action=backup.create&outcome=success") == 1);
        CHECK(auditCount(restoredAdmin, "action=backup.restore&outcome=success") == 1);
        CHECK(auditCount(restoredAdmin, "action=backup.create") == 0); // recorded after the copy
        const auto audit = runParleyctl(ctlArgs(fresh) + " audit verify");
        CHECK(audit.exitCode == 0);
        CHECK_THAT(audit.output, Contains("audit log intact"));

        // A second restore onto it, running or not, is refused and changes nothing.
        const auto running = runParleyctl(ctlArgs(fresh) + " backup restore " + archive.string() + " --to " +
                                          fresh.string() + " --key-file " + key.string());
        CHECK(running.exitCode == 1);
        CHECK_THAT(running.output, Contains("parleyd is running on " + fresh.string()) && Contains("nothing was changed"));
        again.signal(SIGTERM);
        REQUIRE(again.waitForExit() == 0);
        const auto before = listing(fresh);
        const auto stopped = runParleyctl(ctlArgs(fresh) + " backup restore " + archive.string() + " --to " +
                                          fresh.string() + " --key-file " + key.string());
        CHECK(stopped.exitCode == 1);
        CHECK_THAT(stopped.output, Contains("already holds a database") && Contains("nothing was changed"));
        CHECK(listing(fresh) == before);
    }

    SECTION("restore onto the running server's own directory is refused")
    {
        const auto refused = runParleyctl(ctlArgs(dataDir) + " backup restore " + archive.string() + " --to " +
                                          dataDir.string() + " --key-file " + key.string());
        CHECK(refused.exitCode == 1);
        CHECK_THAT(refused.output, Contains("parleyd is running on") && Contains("nothing was changed"));
        CHECK(admin.call("GET", "/api/v1/users").body.find("\"after\"") != std::string::npos);
        // (The running server writes its own files meanwhile: the user made after the backup
        // shows that its data was not replaced.)
    }

    SECTION("another key and a newer format are refused clearly, before anything is written")
    {
        const auto otherKey = dir / "other.key";
        REQUIRE(runParleyctl("backup create-key " + otherKey.string()).exitCode == 0);
        const auto wrong = runParleyctl(ctlArgs(dataDir) + " backup restore " + archive.string() + " --to " +
                                        (dir / "fresh").string() + " --key-file " + otherKey.string());
        CHECK(wrong.exitCode == 1);
        CHECK_THAT(wrong.output, Contains("was made with another backup key") && Contains("nothing was changed"));
        auto bytes = readFile(archive);
        bytes.replace(bytes.find("format 1"), 8, "format 7");
        writeFile(dir / "newer.pbk", bytes);
        const auto newer = runParleyctl(ctlArgs(dataDir) + " backup verify " + (dir / "newer.pbk").string() +
                                        " --key-file " + key.string());
        CHECK(newer.exitCode == 1);
        CHECK_THAT(newer.output, Contains("format 7, made by a newer Parley"));
        CHECK_THAT(runParleyctl(ctlArgs(dataDir) + " backup list " + (dir / "backups").string()).output,
                   Contains(archive.filename().string()));
        CHECK_FALSE(fs::exists(dir / "fresh"));
    }
}

TEST_CASE("parleyd does not start on a data directory a restore holds", "[backup]")
{
    TempDir dir;
    fs::create_directory(dir / "data");
    const auto lock = parley::storage::DataDirectoryLock::tryAcquire(
        dir / "data", parley::storage::DataDirectoryLock::Mode::Exclusive);
    REQUIRE(lock);
    const auto run = runParleyd(fastAccounts({"--set", "server.data_dir=" + (dir / "data").string(), "--set",
                                              "server.port=0"}),
                                dir.path());
    CHECK(run.exitCode != 0);
    CHECK_THAT(run.output, Contains("a backup is being restored into"));
    CHECK_FALSE(fs::exists(dir / "data" / "parley.db"));
}

namespace {

/// The backups as the admin overview shows them.
Poco::JSON::Object::Ptr backupOverview(ApiClient& admin)
{
    const auto overview = admin.call("GET", "/api/v1/admin/overview");
    REQUIRE(overview.status == 200);
    return json(overview.body)->getObject("backup");
}

} // namespace

TEST_CASE("Scheduled backups go to backup.directory and prune it, and a failed one exits non-zero and is recorded",
          "[backup]")
{
    ServerWithAdmin server;
    const auto dataDir = server.server().dataDir();
    const auto token = createToken(dataDir);
    auto admin = server.admin();
    // Before any backup: no backup series (no alert on a server without backups) and "none".
    auto metrics = scrape(server.port(), "Bearer " + token);
    REQUIRE(metrics.status == 200);
    CHECK_THAT(metrics.body, !Contains("parley_backup_last_success_timestamp_seconds"));
    CHECK(valueOf(metrics.body, "parley_backup_status_readable") == 1);
    CHECK(backupOverview(admin)->getValue<std::string>("state") == "none");
    TempDir dir;
    const auto key = dir / "backup.key";
    REQUIRE(runParleyctl("backup create-key " + key.string()).exitCode == 0);
    const auto backups = dir / "share";
    fs::create_directory(backups);
    // The configuration in use goes into the archive.
    writeFile(dir / "parley.ini", "[backup]\ndirectory = " + backups.string() + "\nkey_file = " + key.string() + "\n");
    const auto configured = "--config " + (dir / "parley.ini").string() + " " + ctlArgs(dataDir);
    CHECK(runParleyctl(ctlArgs(dataDir) + " backup configured").exitCode == 1);
    CHECK(runParleyctl(configured + " backup configured").exitCode == 0);

    // Old backups from 2020 (beyond 21 days) and a file that is not a backup.
    writeFile(backups / "parley-backup-20200101T000000Z.pbk", "old");
    writeFile(backups / "parley-backup-20200102T000000Z.pbk", "old");
    writeFile(backups / "notes.txt", "kept");
    const auto made = runParleyctl(configured + " backup create");
    INFO(made.output);
    REQUIRE(made.exitCode == 0);
    CHECK_THAT(made.output, Contains("removed (retention)") && Contains("etc/parley.ini"));
    CHECK_FALSE(fs::exists(backups / "parley-backup-20200101T000000Z.pbk"));
    CHECK_FALSE(fs::exists(backups / "parley-backup-20200102T000000Z.pbk"));
    CHECK(fs::exists(backups / "notes.txt"));
    const auto archive = onlyBackup(backups);
    auto status = json(readFile(dataDir / "backup-status.json"));
    CHECK(status->getValue<int>("consecutive_failures") == 0);
    CHECK(status->getValue<std::string>("last_success_file") == archive.string());
    // The running server shows it: in /metrics and in the admin overview.
    metrics = scrape(server.port(), "Bearer " + token);
    const auto now = static_cast<double>(::time(nullptr));
    CHECK(valueOf(metrics.body, "parley_backup_last_success_timestamp_seconds") > now - 60);
    CHECK(valueOf(metrics.body, "parley_backup_last_size_bytes") == static_cast<double>(fs::file_size(archive)));
    CHECK(valueOf(metrics.body, "parley_backup_successes_total") == 1);
    CHECK(valueOf(metrics.body, "parley_backup_consecutive_failures") == 0);
    CHECK(backupOverview(admin)->getValue<std::string>("state") == "ok");
    CHECK(backupOverview(admin)->getValue<Poco::UInt64>("lastSuccessBytes") == fs::file_size(archive));

    // The share is gone (not mounted): non-zero, a journal error line, and the status says so.
    ::setenv("JOURNAL_STREAM", "8:1234", 1);
    const auto failed = runParleyctl(ctlArgs(dataDir) + " --set backup.directory=" + (dir / "unmounted").string() +
                                     " --set backup.key_file=" + key.string() + " backup create");
    ::unsetenv("JOURNAL_STREAM");
    CHECK(failed.exitCode == 1);
    CHECK_THAT(failed.output, Contains("<3>parleyctl: backup failed: backup directory") && Contains("is the share mounted?"));
    status = json(readFile(dataDir / "backup-status.json"));
    CHECK(status->getValue<int>("consecutive_failures") == 1);
    CHECK_THAT(status->getValue<std::string>("last_error"), Contains("does not exist"));
    metrics = scrape(server.port(), "Bearer " + token);
    CHECK(valueOf(metrics.body, "parley_backup_consecutive_failures") == 1);
    CHECK(valueOf(metrics.body, "parley_backup_failures_total") == 1);
    CHECK(valueOf(metrics.body, "parley_backup_last_attempt_timestamp_seconds") >= now);
    const auto failing = backupOverview(admin);
    CHECK(failing->getValue<std::string>("state") == "failing");
    CHECK_THAT(failing->getValue<std::string>("lastError"), Contains("is the share mounted?"));
    {
        // A damaged status file: said so in the overview and counted in /metrics, nothing else fails.
        const auto kept = readFile(dataDir / "backup-status.json");
        writeFile(dataDir / "backup-status.json", "{\"consecutive_failures\": \"many\"");
        CHECK(scrape(server.port(), "Bearer " + token).body.find("parley_backup_status_readable 0") != std::string::npos);
        const auto unreadable = backupOverview(admin);
        CHECK(unreadable->getValue<std::string>("state") == "unreadable");
        CHECK_THAT(unreadable->getValue<std::string>("message"), Contains("backup-status.json is not valid"));
        writeFile(dataDir / "backup-status.json", kept);
    }
    CHECK(auditCount(admin, "action=backup.create&outcome=success") == 1);
    CHECK(auditCount(admin, "action=backup.create&outcome=failure") == 1);
    CHECK(status->getValue<std::string>("last_success_file") == archive.string());

    // A key file others can read is refused before anything is made.
    fs::permissions(key, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    const auto open = runParleyctl(configured + " backup create");
    CHECK(open.exitCode != 0);
    CHECK_THAT(open.output, Contains("must be a regular file owned by root"));
}

namespace {

/// The server's account when installed stands in as nobody (65534).
constexpr uid_t kServerAccount = 65534;

/// `<dir>/data` with an admin (and what `extra` adds), every file in it and itself owned by
/// kServerAccount as an installed server's are; and a backup key `<dir>/backup.key`, returned.
fs::path serverOwnedDataDirectory(const fs::path& dir, const std::function<void(const fs::path&)>& extra)
{
    const auto dataDir = dir / "data";
    REQUIRE(runParleyctl(ctlArgs(dataDir) + " user create-admin admin", kAdminPassword).exitCode == 0);
    if (extra)
        extra(dataDir);
    for (const auto& entry : fs::recursive_directory_iterator(dataDir))
        REQUIRE(::lchown(entry.path().c_str(), kServerAccount, kServerAccount) == 0);
    REQUIRE(::chown(dataDir.c_str(), kServerAccount, kServerAccount) == 0);
    const auto key = dir / "backup.key";
    REQUIRE(runParleyctl("backup create-key " + key.string()).exitCode == 0);
    return key;
}

} // namespace

TEST_CASE("Run as root, backup and restore leave the server's account owning its files", "[backup]")
{
    // Catch2 v2 has no SKIP; as another user the ownership handling does not apply.
    REQUIRE(::geteuid() == 0);
    TempDir dir;
    const auto dataDir = dir / "data";
    const auto key = serverOwnedDataDirectory(dir.path(), {});
    fs::create_directory(dir / "backups");
    REQUIRE(runParleyctl(ctlArgs(dataDir) + " backup create --to " + (dir / "backups").string() + " --key-file " +
                         key.string())
                .exitCode == 0);
    const auto ownerOf = [](const fs::path& file) {
        struct stat status{};
        REQUIRE(::lstat(file.c_str(), &status) == 0);
        return status.st_uid;
    };
    for (const auto& entry : fs::recursive_directory_iterator(dataDir)) {
        INFO(entry.path());
        CHECK(ownerOf(entry.path()) == kServerAccount); // backup-status.json above all
    }
    const auto fresh = dir / "fresh";
    fs::create_directory(fresh);
    REQUIRE(::chown(fresh.c_str(), kServerAccount, kServerAccount) == 0);
    const auto restored = runParleyctl(ctlArgs(fresh) + " backup restore " + onlyBackup(dir / "backups").string() +
                                       " --to " + fresh.string() + " --key-file " + key.string());
    INFO(restored.output);
    REQUIRE(restored.exitCode == 0);
    for (const auto& entry : fs::recursive_directory_iterator(fresh)) {
        INFO(entry.path());
        CHECK(ownerOf(entry.path()) == kServerAccount);
    }
    CHECK(fs::exists(fresh / "parley.db"));
    CHECK(fs::exists(fresh / "audit.key"));
}

TEST_CASE("Run as root, backup and restore follow no link the server's account could plant in its directory",
          "[backup]")
{
    REQUIRE(::geteuid() == 0);
    TempDir dir;
    const auto dataDir = dir / "data";
    const auto key = serverOwnedDataDirectory(dir.path(), [](const fs::path& data) {
        fs::create_directory(data / "tls");
        writeFile(data / "tls" / "uploaded.pem", "an uploaded certificate\n");
    });
    // Each attempt into a directory of its own (two in one second would share a name).
    int attempts = 0;
    const auto create = [&] {
        const auto into = dir / ("backups-" + std::to_string(++attempts));
        fs::create_directory(into);
        return runParleyctl(ctlArgs(dataDir) + " backup create --to " + into.string() + " --key-file " +
                            key.string());
    };
    // Root's secrets, which the server's account cannot read.
    fs::create_directory(dir / "root-only");
    writeFile(dir / "root-only" / "shadow", "root-secret-Xylophone\n");
    fs::permissions(dir / "root-only" / "shadow", fs::perms::owner_read, fs::perm_options::replace);

    // The status file as a link to root's file: replaced, never written through or given away.
    fs::create_symlink(dir / "root-only" / "shadow", dataDir / "backup-status.json");
    auto made = create();
    INFO(made.output);
    REQUIRE(made.exitCode == 0);
    CHECK(readFile(dir / "root-only" / "shadow") == "root-secret-Xylophone\n");
    struct stat status{};
    REQUIRE(::lstat((dir / "root-only" / "shadow").c_str(), &status) == 0);
    CHECK(status.st_uid == 0);
    REQUIRE(::lstat((dataDir / "backup-status.json").c_str(), &status) == 0);
    CHECK(S_ISREG(status.st_mode));
    CHECK(status.st_uid == kServerAccount);

    // tls/ as a link to root's directory, then the audit key as a link to root's file: the
    // backup fails saying so, and no copy of root's file is made anywhere.
    fs::rename(dataDir / "tls", dir / "tls-aside");
    fs::create_directory_symlink(dir / "root-only", dataDir / "tls");
    made = create();
    CHECK(made.exitCode == 1);
    CHECK_THAT(made.output, Contains("tls") && Contains("link"));
    fs::remove(dataDir / "tls");
    fs::rename(dir / "tls-aside", dataDir / "tls");
    fs::rename(dataDir / "audit.key", dir / "audit.key-aside");
    fs::create_symlink(dir / "root-only" / "shadow", dataDir / "audit.key");
    made = create();
    CHECK(made.exitCode == 1);
    CHECK_THAT(made.output, Contains("audit.key") && Contains("link"));
    fs::remove(dataDir / "audit.key");
    fs::rename(dir / "audit.key-aside", dataDir / "audit.key");
    // A second name for the audit key (what a hard link to another's file looks like).
    fs::create_hard_link(dataDir / "audit.key", dir / "audit.key-second-name");
    made = create();
    CHECK(made.exitCode == 1);
    CHECK_THAT(made.output, Contains("audit.key") && Contains("another name (a hard link)"));
    fs::remove(dir / "audit.key-second-name");
    for (const auto& entry : fs::recursive_directory_iterator(dataDir)) {
        INFO(entry.path());
        CHECK_FALSE(entry.path().filename().string().starts_with("backup-staging"));
    }
    for (const auto* failed : {"backups-2", "backups-3", "backups-4"})
        CHECK(fs::is_empty(dir / failed));

    // Restore into a fresh directory whose tls/ is a link to root's: refused, nothing written there.
    const auto fresh = dir / "fresh";
    fs::create_directory(fresh);
    fs::create_directory_symlink(dir / "root-only", fresh / "tls");
    const auto restored = runParleyctl(ctlArgs(fresh) + " backup restore " + onlyBackup(dir / "backups-1").string() +
                                       " --to " + fresh.string() + " --key-file " + key.string());
    CHECK(restored.exitCode != 0);
    CHECK_THAT(restored.output, Contains("tls is a link or not a directory"));
    CHECK(std::distance(fs::directory_iterator(dir / "root-only"), fs::directory_iterator()) == 1);
    CHECK_FALSE(fs::exists(fresh / "parley.db"));
}

TEST_CASE("The recording volume's LUKS header is in the backup and restores onto its container", "[backup][volume]")
{
    TempDir volumeDir;
    TempDir dir;
    const auto dataDir = dir / "data";
    const auto args = volumeArgs(dataDir, volumeDir.path());
    REQUIRE(runParleyctl(ctlArgs(dataDir) + " user create-admin admin", kAdminPassword).exitCode == 0);
    const auto created = runParleyctl(args + " volume create --size 40M", "volume-pass-1\n");
    INFO(created.output);
    REQUIRE(created.exitCode == 0);
    const auto key = dir / "backup.key";
    REQUIRE(runParleyctl("backup create-key " + key.string()).exitCode == 0);
    fs::create_directory(dir / "backups");
    const auto made = runParleyctl(args + " backup create --to " + (dir / "backups").string() + " --key-file " + key.string());
    INFO(made.output);
    REQUIRE(made.exitCode == 0);
    CHECK_THAT(made.output, Contains("luks-header.img"));

    const auto fresh = dir / "fresh";
    REQUIRE(runParleyctl(ctlArgs(fresh) + " backup restore " + onlyBackup(dir / "backups").string() + " --to " +
                         fresh.string() + " --key-file " + key.string())
                .exitCode == 0);
    const auto header = fresh / "restored" / "luks-header.img";
    REQUIRE(fs::exists(header));
    // The same bytes as a header backup taken directly, and accepted back by the container.
    REQUIRE(runParleyctl(args + " volume backup-header " + (dir / "direct.img").string()).exitCode == 0);
    CHECK(readFile(header) == readFile(dir / "direct.img"));
    const auto back = runParleyctl(args + " volume restore-header " + header.string());
    INFO(back.output);
    CHECK(back.exitCode == 0);
    CHECK(runParleyctl(args + " volume status").exitCode == 3); // a locked, intact volume
}
