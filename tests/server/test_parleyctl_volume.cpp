// parleyctl volume: the recording volume's whole life from a shell, and what the running
// server says about it.
#include "account_fixture.h"
#include "volume_args.h"

#include <sys/stat.h>

using namespace parley::test;
using Catch::Contains;

namespace {

int auditCount(ApiClient& admin, const std::string& action, const std::string& outcome = "success")
{
    const auto entries = json(admin.call("GET", "/api/v1/audit?action=" + action + "&outcome=" + outcome).body)
                             ->getArray("entries");
    return static_cast<int>(entries->size());
}

} // namespace

TEST_CASE("parleyctl volume: create, unlock, status, lock, and the server sees the volume come and go", "[volume]")
{
    TempDir volumeDir;
    ServerWithAdmin server({"--set", "volume.mount_point=" + (volumeDir / "recordings").string()});
    const auto dataDir = server.server().dataDir();
    VolumeCleanup cleanup{dataDir, volumeDir.path()};
    auto admin = server.admin();

    // Before it exists the server says so, and why.
    auto state = json(admin.call("GET", "/api/v1/admin/volume").body);
    CHECK(state->getValue<std::string>("state") == "unavailable");
    CHECK_THAT(state->getValue<std::string>("reason"), Contains("never unlocked"));

    const auto created = runParleyctl(volumeArgs(dataDir, cleanup.volumeDir) + " volume create --size 48M", "volume-pass-1\n");
    INFO(created.output);
    REQUIRE(created.exitCode == 0);
    CHECK_THAT(created.output, Contains("backup-header"));
    CHECK(std::filesystem::exists(volumeDir / "recordings.luks"));

    const auto locked = runParleyctl(volumeArgs(dataDir, cleanup.volumeDir) + " volume status");
    CHECK(locked.exitCode == 3);
    CHECK_THAT(locked.output, Contains("aes-xts-plain64, 512-bit key") && Contains("key slots:   0 (1 in use)") &&
                                  Contains("state:       locked"));

    const auto wrong = runParleyctl(volumeArgs(dataDir, cleanup.volumeDir) + " volume unlock", "volume-pass-2\n");
    CHECK(wrong.exitCode == 2);
    CHECK_THAT(wrong.output, Contains("no key slot"));

    const auto unlocked = runParleyctl(volumeArgs(dataDir, cleanup.volumeDir) + " volume unlock", "volume-pass-1\n");
    INFO(unlocked.output);
    REQUIRE(unlocked.exitCode == 0);
    CHECK_THAT(unlocked.output, Contains("userspace engine"));
    // The installed server reads the volume's marker as its own account, not root: the
    // marker must be readable by all whatever parleyctl's umask (077).
    struct stat marker{};
    REQUIRE(::stat((volumeDir / "recordings" / ".parley-volume").c_str(), &marker) == 0);
    CHECK((marker.st_mode & 0777) == 0444);

    state = json(admin.call("GET", "/api/v1/admin/volume").body);
    CHECK(state->getValue<std::string>("state") == "unlocked");
    CHECK(state->getValue<std::string>("engine") == "userspace");
    CHECK(state->getValue<std::uint64_t>("freeBytes") > 10u * 1024 * 1024);
    const auto status = runParleyctl(volumeArgs(dataDir, cleanup.volumeDir) + " volume status");
    CHECK(status.exitCode == 0);
    CHECK_THAT(status.output, Contains("unlocked, userspace engine") && Contains("FUSE process"));

    // Only admins learn about the volume.
    auto user = server.userWithRole("carol", "user");
    CHECK(user.call("GET", "/api/v1/admin/volume").status == 403);

    REQUIRE(runParleyctl(volumeArgs(dataDir, cleanup.volumeDir) + " volume lock").exitCode == 0);
    state = json(admin.call("GET", "/api/v1/admin/volume").body);
    CHECK(state->getValue<std::string>("state") == "unavailable");
    CHECK_THAT(state->getValue<std::string>("reason"), Contains("locked"));

    CHECK(auditCount(admin, "volume.create") == 1);
    CHECK(auditCount(admin, "volume.unlock") == 1);
    CHECK(auditCount(admin, "volume.unlock", "failure") == 1);
    CHECK(auditCount(admin, "volume.lock") == 1);
    for (const char* file : {"parley.db", "parley.db-wal"}) {
        CHECK(readFile(dataDir / file).find("volume-pass-1") == std::string::npos);
        CHECK(readFile(dataDir / file).find("volume-pass-2") == std::string::npos);
    }
}

TEST_CASE("parleyctl volume: keys are added and revoked, and a revoked passphrase no longer unlocks", "[volume]")
{
    TempDir dir;
    const auto dataDir = dir / "data";
    VolumeCleanup cleanup{dataDir, dir / "volume"};
    REQUIRE(runParleyctl(volumeArgs(dataDir, cleanup.volumeDir) + " volume create --size 40M", "first-pass\n").exitCode == 0);

    const auto added = runParleyctl(volumeArgs(dataDir, cleanup.volumeDir) + " volume add-key", "first-pass\nsecond-pass\n");
    INFO(added.output);
    REQUIRE(added.exitCode == 0);
    CHECK_THAT(added.output, Contains("added key slot 1"));
    CHECK(runParleyctl(volumeArgs(dataDir, cleanup.volumeDir) + " volume add-key", "wrong-pass\nthird-pass\n").exitCode == 2);

    // Revoking needs a key that stays; the key being revoked does not count.
    const auto self = runParleyctl(volumeArgs(dataDir, cleanup.volumeDir) + " volume revoke-key 0", "first-pass\n");
    CHECK(self.exitCode == 64);
    const auto revoked = runParleyctl(volumeArgs(dataDir, cleanup.volumeDir) + " volume revoke-key 0", "second-pass\n");
    INFO(revoked.output);
    REQUIRE(revoked.exitCode == 0);
    CHECK(runParleyctl(volumeArgs(dataDir, cleanup.volumeDir) + " volume unlock", "first-pass\n").exitCode == 2);
    REQUIRE(runParleyctl(volumeArgs(dataDir, cleanup.volumeDir) + " volume unlock", "second-pass\n").exitCode == 0);
    REQUIRE(runParleyctl(volumeArgs(dataDir, cleanup.volumeDir) + " volume lock").exitCode == 0);

    // The header backup taken now still holds slot 1 after it is changed.
    const auto backup = runParleyctl(volumeArgs(dataDir, cleanup.volumeDir) + " volume backup-header " + (dir / "header.img").string());
    REQUIRE(backup.exitCode == 0);
    REQUIRE(runParleyctl(volumeArgs(dataDir, cleanup.volumeDir) + " volume change-key", "second-pass\nthird-pass\n").exitCode == 0);
    CHECK(runParleyctl(volumeArgs(dataDir, cleanup.volumeDir) + " volume unlock", "second-pass\n").exitCode == 2);
    REQUIRE(runParleyctl(volumeArgs(dataDir, cleanup.volumeDir) + " volume restore-header " + (dir / "header.img").string()).exitCode == 0);
    REQUIRE(runParleyctl(volumeArgs(dataDir, cleanup.volumeDir) + " volume unlock", "second-pass\n").exitCode == 0);

    // Every key operation is in the audit log, with the slots.
    REQUIRE(runParleyctl(ctlArgs(dataDir) + " user create-admin admin", kAdminPassword).exitCode == 0);
    RunningServer server(fastAccounts({"--set", "server.data_dir=" + dataDir.string()}));
    ApiClient admin(server.port());
    REQUIRE(admin.login("admin", kAdminPassword).status == 200);
    CHECK(auditCount(admin, "volume.key_add") == 1);
    CHECK(auditCount(admin, "volume.key_add", "failure") == 1);
    CHECK(auditCount(admin, "volume.key_revoke") == 1);
    CHECK(auditCount(admin, "volume.key_change") == 1);
    CHECK(auditCount(admin, "volume.header_backup") == 1);
    CHECK(auditCount(admin, "volume.header_restore") == 1);
    CHECK(auditCount(admin, "volume.unlock", "failure") == 2);
    const auto change = json(admin.call("GET", "/api/v1/audit?action=volume.key_change").body)->getArray("entries");
    CHECK(change->getObject(0)->getObject("details")->getValue<int>("from_slot") == 1);
}

TEST_CASE("parleyctl volume unlock --at-boot takes only a root-only key file", "[volume]")
{
    TempDir dir;
    const auto dataDir = dir / "data";
    VolumeCleanup cleanup{dataDir, dir / "volume"};
    const auto keyFile = dir / "volume.key";
    writeFile(keyFile, std::string("\x01\x02 binary key\n\xff", 16));
    ::chmod(keyFile.c_str(), 0644);
    const std::string args = volumeArgs(dataDir, cleanup.volumeDir) + " --set volume.key_file=" + keyFile.string();

    const auto exposed = runParleyctl(args + " volume create --size 40M --key-file " + keyFile.string());
    CHECK(exposed.exitCode == 1);
    CHECK_THAT(exposed.output, Contains("mode 0600 or 0400") && Contains("mode 0644"));

    ::chmod(keyFile.c_str(), 0600);
    REQUIRE(runParleyctl(args + " volume create --size 40M --key-file " + keyFile.string()).exitCode == 0);
    const auto atBoot = runParleyctl(args + " volume unlock --at-boot");
    INFO(atBoot.output);
    CHECK(atBoot.exitCode == 0);
    CHECK(runParleyctl(args + " volume status").exitCode == 0);

    ::chmod(keyFile.c_str(), 0640);
    REQUIRE(runParleyctl(args + " volume lock").exitCode == 0);
    CHECK(runParleyctl(args + " volume unlock --at-boot").exitCode == 1);
    CHECK(runParleyctl(args + " volume frobnicate").exitCode == 64);
    CHECK(runParleyctl(args + " volume create").exitCode == 64);
    for (const char* size : {"-5G", "10X", "99999999999T", "G", " 5G"}) {
        const auto bad = runParleyctl(args + " volume create --size '" + size + "'");
        INFO(size << ": " << bad.output);
        CHECK(bad.exitCode == 64);
    }
}

TEST_CASE("parleyctl volume check fails on a container cut short, naming both sizes, and passes an intact one",
          "[volume]")
{
    TempDir dir;
    const auto dataDir = dir / "data";
    VolumeCleanup cleanup{dataDir, dir / "volume"};
    const std::string args = volumeArgs(dataDir, cleanup.volumeDir);
    REQUIRE(runParleyctl(args + " volume create --size 48M", "check-pass\n").exitCode == 0);
    REQUIRE(runParleyctl(args + " volume unlock", "check-pass\n").exitCode == 0); // makes the file system
    {
        const auto lock = runParleyctl(args + " volume lock");
        INFO(lock.output);
        REQUIRE(lock.exitCode == 0);
    }

    const auto intact = runParleyctl(args + " volume check", "check-pass\n");
    INFO(intact.output);
    CHECK(intact.exitCode == 0);
    CHECK_THAT(intact.output, Contains("file system clean"));

    // 8 MiB off the end, as a full disk or an interrupted copy leaves it: `e2fsck -f -n`
    // alone answers "no" to its size question and exits 0.
    std::filesystem::resize_file(cleanup.volumeDir / "recordings.luks", 40ull * 1024 * 1024);
    const auto cut = runParleyctl(args + " volume check", "check-pass\n");
    INFO(cut.output);
    CHECK(cut.exitCode == 1);
    CHECK_THAT(cut.output, Contains("container too short") && Contains("33554432 bytes") &&
                               Contains("25165824 bytes") && Contains("Restore it from a complete copy"));
    CHECK(runParleyctl(args + " volume unlock", "check-pass\n").exitCode == 1);
    CHECK(runParleyctl(args + " volume status").exitCode == 3);
}

TEST_CASE("parleyctl volume adopt: a container made by stock cryptsetup luksFormat is checked, labelled, audited "
          "and then unlocks",
          "[volume]")
{
    TempDir dir;
    const auto dataDir = dir / "data";
    VolumeCleanup cleanup{dataDir, dir / "volume"};
    const std::string args = volumeArgs(dataDir, cleanup.volumeDir);
    const auto container = cleanup.volumeDir / "recordings.luks";
    std::filesystem::create_directories(cleanup.volumeDir);
    REQUIRE(std::system(("truncate -s 40M " + container.string() +
                         " && printf 'stock-pass' | cryptsetup luksFormat --type luks2 --pbkdf argon2id "
                         "--pbkdf-memory 32 --pbkdf-force-iterations 4 --pbkdf-parallel 1 --batch-mode " +
                         container.string() + " -")
                            .c_str()) == 0);

    const auto refused = runParleyctl(args + " volume unlock", "stock-pass\n");
    CHECK(refused.exitCode == 1);
    CHECK_THAT(refused.output, Contains("not a Parley volume") && Contains("parleyctl volume adopt"));

    CHECK(runParleyctl(args + " volume adopt", "wrong-pass\n").exitCode == 2);
    const auto empty = runParleyctl(args + " volume adopt", "stock-pass\n");
    CHECK(empty.exitCode == 1);
    CHECK_THAT(empty.output, Contains("no file system") && Contains("adopt --format"));

    const auto adopted = runParleyctl(args + " volume adopt --format", "stock-pass\n");
    INFO(adopted.output);
    REQUIRE(adopted.exitCode == 0);
    CHECK_THAT(adopted.output, Contains("adopted volume") && Contains("parleyctl volume unlock"));
    const auto unlocked = runParleyctl(args + " volume unlock", "stock-pass\n");
    INFO(unlocked.output);
    CHECK(unlocked.exitCode == 0);
    CHECK(runParleyctl(args + " volume status").exitCode == 0);
    REQUIRE(runParleyctl(args + " volume lock").exitCode == 0);

    REQUIRE(runParleyctl(ctlArgs(dataDir) + " user create-admin admin", kAdminPassword).exitCode == 0);
    RunningServer server(fastAccounts({"--set", "server.data_dir=" + dataDir.string()}));
    ApiClient admin(server.port());
    REQUIRE(admin.login("admin", kAdminPassword).status == 200);
    CHECK(auditCount(admin, "volume.adopt") == 1);
    CHECK(auditCount(admin, "volume.adopt", "failure") == 2); // the wrong key and the refusal
    const auto entry = json(admin.call("GET", "/api/v1/audit?action=volume.adopt&outcome=success").body)
                           ->getArray("entries")
                           ->getObject(0);
    CHECK(entry->getObject("details")->getValue<bool>("formatted"));
}
