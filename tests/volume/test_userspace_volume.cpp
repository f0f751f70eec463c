#include "volume_fixture.h"

#include <parley/volume/recording_directory.h>
#include <parley/volume/volume_error.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <set>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace parley::volume;
using namespace parley::test;
using namespace std::chrono_literals;

namespace {

const UnlockOptions kUserspace{VolumeEngine::Userspace, std::nullopt, std::nullopt};

// A marker no ciphertext will contain by chance: if it is in the container, something was
// written in clear.
const std::string kMarker = "PARLEY-PLAINTEXT-MARKER-consultation-7f3a9c";

void writeDurably(const std::filesystem::path& file, const std::string& content)
{
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
    REQUIRE(::fsync(fd) == 0);
    ::close(fd);
}

} // namespace

TEST_CASE("userspace engine: files written through the mount are encrypted at rest and read back after a remount",
          "[volume]")
{
    VolumeFixture volume;
    const std::string uuid = volume.create("s3cret").info().uuid;
    const auto mounted = volume.manager.unlock("s3cret", kUserspace);
    CHECK(mounted.engine == VolumeEngine::Userspace);
    CHECK(mounted.uuid == uuid);
    CHECK(mounted.device.starts_with("/dev/loop"));
    CHECK(mounted.sizeBytes > 20u * 1024 * 1024);

    const auto mnt = volume.manager.location().mountPoint;
    const std::string text = kMarker + "\n" + std::string(3000, 'x') + kMarker;
    const std::string bulk = patternBytes(6 * 1024 * 1024 + 123, 1);
    writeDurably(mnt / "note.txt", text);
    std::filesystem::create_directories(mnt / "room-1");
    writeDurably(mnt / "room-1" / "track.bin", bulk);

    auto status = volume.manager.status();
    REQUIRE(status.mounted);
    REQUIRE(status.enginePid > 0);
    // The engine is its own executable with nothing of its caller: no environment beyond
    // PATH, no descriptors beyond the container, /dev/fuse and /dev/null.
    const auto proc = std::filesystem::path("/proc") / std::to_string(status.enginePid);
    CHECK(std::filesystem::read_symlink(proc / "exe").filename() == "parley-volume-engine");
    CHECK(readBytes(proc / "environ") == std::string("PATH=/usr/sbin:/usr/bin:/sbin:/bin\0", 35));
    std::set<std::string> targets;
    for (const auto& fd : std::filesystem::directory_iterator(proc / "fd"))
        targets.insert(std::filesystem::read_symlink(fd.path()).string());
    CHECK(targets == std::set<std::string>{"/dev/null", "/dev/fuse", volume.manager.location().container.string()});
    CHECK(status.header->subsystem == "ext4");

    CHECK(volume.manager.lock());
    CHECK(!volume.manager.status().mounted);
    CHECK(volume.manager.status().enginePid == 0);
    CHECK(!std::filesystem::exists(mnt / "note.txt"));
    CHECK(!volume.manager.lock()); // locking a locked volume changes nothing

    // Neither the marker nor a slice of the bulk data is anywhere in the container.
    CHECK(!fileContains(volume.manager.location().container, kMarker));
    CHECK(!fileContains(volume.manager.location().container, bulk.substr(4096 * 100, 64)));

    volume.manager.unlock("s3cret", kUserspace);
    CHECK(readBytes(mnt / "note.txt") == text);
    CHECK(readBytes(mnt / "room-1" / "track.bin") == bulk);
    CHECK(readBytes(mnt / kVolumeMarkerFile) == "parley-volume " + uuid + "\n");
}

TEST_CASE("userspace engine with 512-byte sectors", "[volume]")
{
    VolumeFixture volume;
    volume.create("s3cret", 512);
    volume.manager.unlock("s3cret", kUserspace);
    const auto mnt = volume.manager.location().mountPoint;
    const std::string bulk = patternBytes(1024 * 1024 + 7, 2);
    writeDurably(mnt / "a.bin", bulk);
    volume.manager.lock();
    volume.manager.unlock("s3cret", kUserspace);
    CHECK(readBytes(mnt / "a.bin") == bulk);
}

TEST_CASE("unlocking with a wrong passphrase mounts nothing and starts nothing", "[volume]")
{
    VolumeFixture volume;
    volume.create("s3cret");
    try {
        volume.manager.unlock("S3cret", kUserspace);
        FAIL("a wrong passphrase unlocked the volume");
    }
    catch (const VolumeError& e) {
        CHECK(e.failure() == VolumeFailure::WrongPassphrase);
    }
    const auto status = volume.manager.status();
    CHECK(!status.mounted);
    CHECK(status.enginePid == 0);
    CHECK(!std::filesystem::exists(volume.dir / "run" / ("fuse-" + status.header->uuid)));
}

TEST_CASE("an unlock and a check derive the key once (one key-slot opening, counted by libcryptsetup)",
          "[volume]")
{
    VolumeFixture volume;
    auto container = volume.create("s3cret");
    {
        // The counter sees every derivation: a wrong passphrase tries both slots.
        container.addKey("s3cret", "other", {32, 4, 1});
        KeyslotOpenCounter counter;
        CHECK_THROWS_AS(container.verify("neither"), VolumeError);
        CHECK(counter.count() == 2);
    }
    {
        KeyslotOpenCounter counter;
        volume.manager.unlock("s3cret", kUserspace);
        CHECK(counter.count() == 1);
    }
    volume.manager.lock();
    {
        KeyslotOpenCounter counter;
        CHECK(volume.manager.checkFilesystem("s3cret", VolumeEngine::Userspace).clean());
        CHECK(counter.count() == 1);
    }
}

TEST_CASE("a second unlock of an unlocked volume is refused", "[volume]")
{
    VolumeFixture volume;
    volume.create("s3cret");
    volume.manager.unlock("s3cret", kUserspace);
    try {
        volume.manager.unlock("s3cret", kUserspace);
        FAIL("unlocked twice");
    }
    catch (const VolumeError& e) {
        CHECK(e.failure() == VolumeFailure::InUse);
    }
    CHECK(volume.manager.status().mounted);
}

TEST_CASE("killing the FUSE process during a write loses nothing that was synced, "
          "and the volume opens and fsck is clean",
          "[volume]")
{
    VolumeFixture volume;
    volume.create("s3cret");
    volume.manager.unlock("s3cret", kUserspace);
    const auto mnt = volume.manager.location().mountPoint;
    const std::string kept = patternBytes(2 * 1024 * 1024, 3);
    writeDurably(mnt / "kept.bin", kept);

    // A writer like the recorder: append and sync, until the device fails under it.
    std::atomic<int> chunksWritten{0};
    std::atomic<bool> writerDone{false};
    std::thread writer([&] {
        const int fd = ::open((mnt / "growing.bin").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        const std::string chunk = patternBytes(256 * 1024, 4);
        while (fd >= 0) {
            if (::write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size()) || ::fsync(fd) != 0)
                break;
            ++chunksWritten;
        }
        if (fd >= 0)
            ::close(fd);
        writerDone = true;
    });
    while (chunksWritten < 8 && !writerDone)
        std::this_thread::sleep_for(5ms);
    const pid_t engine = volume.manager.status().enginePid;
    REQUIRE(engine > 0);
    REQUIRE(::kill(engine, SIGKILL) == 0);
    writer.join();
    CHECK(chunksWritten >= 8);

    // Lock cleans up the dead engine's mount, loop device and FUSE mount.
    volume.manager.lock();
    CHECK(volume.manager.status().enginePid == 0);

    // Nothing beyond the journal's own replay was needed, and the full check is clean.
    const auto check = volume.manager.checkFilesystem("s3cret", VolumeEngine::Userspace);
    INFO(check.preenOutput << check.output);
    CHECK(check.preenExitCode == 0);
    CHECK(check.exitCode == 0);

    volume.manager.unlock("s3cret", kUserspace);
    CHECK(readBytes(mnt / "kept.bin") == kept);
    // Every chunk whose fsync succeeded before the kill is there.
    const std::string grown = readBytes(mnt / "growing.bin");
    const std::string chunk = patternBytes(256 * 1024, 4);
    REQUIRE(grown.size() >= chunksWritten * chunk.size());
    for (int i = 0; i < chunksWritten; ++i)
        CHECK(grown.compare(static_cast<std::size_t>(i) * chunk.size(), chunk.size(), chunk) == 0);
}

TEST_CASE("only an unlocked Parley volume counts as a place for recordings", "[volume]")
{
    VolumeFixture volume;
    const std::string uuid = volume.create("s3cret").info().uuid;
    const auto mnt = volume.manager.location().mountPoint;
    std::string why;

    SECTION("a missing directory") { CHECK(!inspectVolume(mnt, why)); CHECK(why.find("never unlocked") != std::string::npos); }
    SECTION("a plain directory")
    {
        std::filesystem::create_directories(mnt);
        CHECK(!inspectVolume(mnt, why));
        CHECK(why.find("locked") != std::string::npos);
        try {
            requireUnlockedVolume(mnt);
            FAIL("a plain directory was accepted");
        }
        catch (const VolumeError& e) {
            CHECK(e.failure() == VolumeFailure::NotUnlocked);
        }
    }
    SECTION("a tmpfs")
    {
        std::filesystem::create_directories(mnt);
        REQUIRE(::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1m") == 0);
        CHECK(!inspectVolume(mnt, why));
        CHECK(why.find("tmpfs") != std::string::npos);
        ::umount(mnt.c_str());
    }
    SECTION("an unencrypted ext4 on a loop device, even with a forged marker")
    {
        const auto plain = volume.dir / "plain.img";
        REQUIRE(std::system(("truncate -s 16M " + plain.string() + " && mkfs.ext4 -q " + plain.string()).c_str()) == 0);
        std::filesystem::create_directories(mnt);
        REQUIRE(std::system(("mount -o loop " + plain.string() + " " + mnt.string()).c_str()) == 0);
        writeDurably(mnt / kVolumeMarkerFile, "parley-volume " + uuid + "\n");
        CHECK(!inspectVolume(mnt, why));
        CHECK(why.find("not encrypted") != std::string::npos);
        ::umount(mnt.c_str());
    }
    SECTION("a volume whose file system went read-only after an error")
    {
        const auto mounted = volume.manager.unlock("s3cret", kUserspace);
        REQUIRE(inspectVolume(mnt, why));
        const auto trigger = "/sys/fs/ext4/" + mounted.device.substr(5) + "/trigger_fs_error";
        REQUIRE(std::filesystem::exists(trigger));
        std::ofstream(trigger) << "test\n";
        CHECK(!inspectVolume(mnt, why));
        CHECK(why.find("read-only") != std::string::npos);
        CHECK_THROWS_AS(RecordingDirectory::open(mnt), VolumeError);
        // Locking and unlocking checks the file system and brings it back.
        volume.manager.lock();
        volume.manager.unlock("s3cret", kUserspace);
        CHECK(inspectVolume(mnt, why));
    }
    SECTION("the unlocked volume, and no longer once locked")
    {
        volume.manager.unlock("s3cret", kUserspace);
        const auto found = inspectVolume(mnt, why);
        REQUIRE(found);
        CHECK(found->uuid == uuid);
        CHECK(found->freeBytes > 0);
        volume.manager.lock();
        CHECK(!inspectVolume(mnt, why));
    }
}

TEST_CASE("a LUKS2 container not made by Parley is not unlocked as a volume", "[volume]")
{
    VolumeFixture volume;
    const auto file = volume.manager.location().container;
    REQUIRE(std::system(("truncate -s 40M " + file.string() +
                         " && printf pass | cryptsetup luksFormat --type luks2 --pbkdf argon2id --pbkdf-memory 32 "
                         "--pbkdf-force-iterations 4 --pbkdf-parallel 1 --batch-mode " +
                         file.string() + " -")
                            .c_str()) == 0);
    try {
        volume.manager.unlock("pass", kUserspace);
        FAIL("a foreign container was unlocked");
    }
    catch (const VolumeError& e) {
        CHECK(e.failure() == VolumeFailure::NotAVolume);
    }
}

TEST_CASE("a container whose data segment is not whole sectors is refused, not served", "[volume]")
{
    VolumeFixture volume;
    volume.create("s3cret");
    {
        std::ofstream grow(volume.manager.location().container, std::ios::binary | std::ios::app);
        grow << std::string(1000, '\0');
    }
    try {
        volume.manager.unlock("s3cret", kUserspace);
        FAIL("a resized container was served");
    }
    catch (const VolumeError& e) {
        CHECK(e.failure() == VolumeFailure::NotAVolume);
        CHECK(std::string(e.what()).find("whole number of 4096-byte sectors") != std::string::npos);
    }
    CHECK(!volume.manager.status().mounted);
    CHECK(volume.manager.status().enginePid == 0);
}

TEST_CASE("recordings are created only inside an unlocked volume, which cannot be locked under a writer",
          "[volume]")
{
    VolumeFixture volume;
    volume.create("s3cret");
    const auto mnt = volume.manager.location().mountPoint;
    std::filesystem::create_directories(mnt);
    try {
        RecordingDirectory::open(mnt);
        FAIL("a plain directory was accepted for recordings");
    }
    catch (const VolumeError& e) {
        CHECK(e.failure() == VolumeFailure::NotUnlocked);
        CHECK(std::string(e.what()).find("parleyctl volume unlock") != std::string::npos);
    }
    CHECK(std::filesystem::is_empty(mnt));

    volume.manager.unlock("s3cret", kUserspace);
    {
        const auto directory = RecordingDirectory::open(mnt);
        {
            const auto file = directory.createFile("room-7/2026-11-23/track-1.webm");
            REQUIRE(::write(file.get(), kMarker.data(), kMarker.size()) == static_cast<ssize_t>(kMarker.size()));
        }
        for (const char* hostile : {"../escape", "/etc/passwd", "a/../../b", "", "a//b", "room/.", "a b", "x\n"})
            CHECK_THROWS_AS(directory.createFile(hostile), std::invalid_argument);
        std::filesystem::create_symlink("/tmp", mnt / "link");
        CHECK_THROWS_AS(directory.createFile("link/x"), VolumeError);
        try {
            directory.createFile("room-7/2026-11-23/track-1.webm");
            FAIL("an existing recording was replaced");
        }
        catch (const VolumeError& e) {
            CHECK(e.failure() == VolumeFailure::InUse);
        }
        // While the server holds the volume, locking refuses instead of unmounting under it.
        try {
            volume.manager.lock();
            FAIL("locked under a writer");
        }
        catch (const VolumeError& e) {
            CHECK(e.failure() == VolumeFailure::InUse);
        }
        CHECK(volume.manager.status().mounted);
    }
    volume.manager.lock();
    CHECK(std::filesystem::is_empty(mnt)); // nothing was written to the plain directory
    CHECK(!fileContains(volume.manager.location().container, kMarker));
    volume.manager.unlock("s3cret", kUserspace);
    CHECK(readBytes(mnt / "room-7" / "2026-11-23" / "track-1.webm") == kMarker);
    CHECK((std::filesystem::status(mnt / "room-7").permissions() & std::filesystem::perms::others_all) ==
          std::filesystem::perms::none);
}

TEST_CASE("a writer killed mid-write leaves a volume that locks, checks clean and keeps what was synced",
          "[volume]")
{
    VolumeFixture volume;
    volume.create("s3cret");
    volume.manager.unlock("s3cret", kUserspace);
    const auto mnt = volume.manager.location().mountPoint;
    const std::string synced = patternBytes(512 * 1024, 7);

    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    const pid_t writer = ::fork();
    REQUIRE(writer >= 0);
    if (writer == 0) {
        // Like the server: syncs one file, then keeps appending to another until killed. The
        // child never returns into the test framework, whatever happens.
        ::close(ready[0]);
        try {
            const auto directory = RecordingDirectory::open(mnt);
            {
                const auto file = directory.createFile("synced.bin");
                if (::write(file.get(), synced.data(), synced.size()) != static_cast<ssize_t>(synced.size()) ||
                    ::fsync(file.get()) != 0)
                    ::_exit(1);
            }
            const auto file = directory.createFile("open.bin");
            const std::string chunk(64 * 1024, 'w');
            (void)!::write(ready[1], "x", 1);
            for (;;)
                (void)!::write(file.get(), chunk.data(), chunk.size());
        }
        catch (...) {
        }
        ::_exit(1);
    }
    ::close(ready[1]);
    char byte = 0;
    const ssize_t started = ::read(ready[0], &byte, 1);
    if (started != 1)
        ::waitpid(writer, nullptr, 0);
    REQUIRE(started == 1);
    ::close(ready[0]);
    std::this_thread::sleep_for(200ms);
    REQUIRE(::kill(writer, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(writer, &status, 0) == writer);

    CHECK(volume.manager.lock());
    const auto check = volume.manager.checkFilesystem("s3cret", VolumeEngine::Userspace);
    INFO(check.preenOutput << check.output);
    CHECK(check.preenExitCode == 0);
    CHECK(check.exitCode == 0);
    volume.manager.unlock("s3cret", kUserspace);
    CHECK(readBytes(mnt / "synced.bin") == synced);
}

TEST_CASE("volumes and mount points in directories another account can change are refused", "[volume]")
{
    VolumeFixture volume;
    volume.create("s3cret");
    // The server's account owning the directory could swap the container or the mount point
    // for a link to something of root's between the checks and the mount.
    const auto shared = volume.dir / "shared";
    std::filesystem::create_directories(shared);
    REQUIRE(::chown(shared.c_str(), 65534, 65534) == 0);
    std::filesystem::rename(volume.manager.location().container, shared / "recordings.luks");
    VolumeManager moved({shared / "recordings.luks", volume.dir / "mnt", volume.dir / "run"});
    try {
        moved.unlock("s3cret", kUserspace);
        FAIL("a container in another account's directory was unlocked");
    }
    catch (const VolumeError& e) {
        CHECK(std::string(e.what()).find("an account other than root can change") != std::string::npos);
    }
    std::filesystem::rename(shared / "recordings.luks", volume.manager.location().container);
    VolumeManager mountInShared({volume.manager.location().container, shared / "mnt", volume.dir / "run"});
    CHECK_THROWS_AS(mountInShared.unlock("s3cret", kUserspace), VolumeError);
    CHECK(!std::filesystem::exists(shared / "mnt"));
    // A world-writable directory without the sticky bit is no better.
    ::chown(shared.c_str(), 0, 0);
    ::chmod(shared.c_str(), 0777);
    CHECK_THROWS_AS(mountInShared.unlock("s3cret", kUserspace), VolumeError);
    ::chmod(shared.c_str(), 0755);
    CHECK(mountInShared.unlock("s3cret", kUserspace).uuid.size() == 36);
    mountInShared.lock();
}
