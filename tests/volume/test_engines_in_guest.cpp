// The kernel engine for real: this machine's kernel has no device-mapper, so the test boots
// Debian's own kernel under QEMU (tests/volume/guest/) with the host's root shared read-only
// and a temporary directory shared read-write. Inside, this same executable runs the hidden
// [.guest] tests below with the product's own kernel-engine code and with stock cryptsetup.
// Volumes cross between the engines in both directions, with both sector sizes.
#include "volume_fixture.h"

#include <parley/volume/volume_error.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <unistd.h>

using namespace parley::volume;
using namespace parley::test;

namespace {

const std::string kPassphrase = "guest-and-host";
const std::string kMarker = "PARLEY-PLAINTEXT-MARKER-written-by-";

std::filesystem::path shareDir()
{
    const char* share = std::getenv("PARLEY_SHARE_DIR");
    REQUIRE(share != nullptr);
    return share;
}

VolumeManager volumeIn(const std::filesystem::path& share, const std::string& name, const std::string& mountRoot)
{
    return VolumeManager({share / (name + ".luks"), std::filesystem::path(mountRoot) / (name + "-mnt"),
                          std::filesystem::path(mountRoot) / "run"});
}

ContainerOptions smallVolume(std::uint32_t sectorSize)
{
    ContainerOptions options;
    options.sizeBytes = 40ull * 1024 * 1024;
    options.sectorSize = sectorSize;
    options.kdf = {32, 4, 1};
    return options;
}

/// Writes the files every volume in this test holds, `writer` naming who wrote them.
void writeFiles(const std::filesystem::path& root, const std::string& writer, unsigned seed)
{
    std::filesystem::create_directories(root / "room-42");
    {
        std::ofstream(root / "note.txt") << kMarker << writer << "\n";
        std::ofstream out(root / "room-42" / "track.bin", std::ios::binary);
        out << patternBytes(3 * 1024 * 1024 + 517, seed);
    }
    ::sync();
}

void checkFiles(const std::filesystem::path& root, const std::string& writer, unsigned seed)
{
    CHECK(readBytes(root / "note.txt") == kMarker + writer + "\n");
    CHECK(readBytes(root / "room-42" / "track.bin") == patternBytes(3 * 1024 * 1024 + 517, seed));
}

int shell(const std::string& command)
{
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace

TEST_CASE("kernel engine (dm-crypt in a QEMU guest), userspace engine and stock cryptsetup read each other's volumes",
          "[volume][qemu]")
{
    TempDir share;
    // The host writes volumes "host" (4096-byte sectors) and "host512" with the userspace
    // engine.
    for (const auto& [name, seed, sector] :
         {std::tuple<std::string, unsigned, std::uint32_t>{"host", 11, 4096}, {"host512", 12, 512}}) {
        auto manager = volumeIn(share.path(), name, share.path().string());
        manager.create(kPassphrase, smallVolume(sector));
        manager.unlock(kPassphrase, {VolumeEngine::Userspace, std::nullopt, std::nullopt});
        writeFiles(manager.location().mountPoint, "userspace", seed);
        manager.lock();
        std::filesystem::remove_all(share / (name + "-mnt"));
    }

    // The guest sees the host's root, but its /tmp and /run are its own: the build tree may
    // be under them (a CI checkout in /tmp), so this executable goes into the share.
    const auto guestCopy = share / "volume_guest_tests";
    std::filesystem::copy_file("/proc/self/exe", guestCopy);
    const auto script = share / "guest.sh";
    writeFile(script, "set -e\n" + guestCopy.string() + " '[.guest]' --reporter compact --success --order decl\n");
    const std::string runner = std::string(PARLEY_SOURCE_DIR) + "/tests/volume/guest/run-guest.sh";
    const int guest = shell(runner + " " + share.path().string() + " " + script.string() + " > " +
                            (share / "run-guest.log").string() + " 2>&1");
    INFO(readFile(share / "run-guest.log"));
    REQUIRE(guest == 0);

    // The guest's kernel engine wrote volumes "kernel" (4096) and "kernel512" (512-byte
    // sectors); the host's userspace engine reads them, and they hold nothing in clear.
    for (const auto& [name, seed] : {std::pair<std::string, unsigned>{"kernel", 21}, {"kernel512", 22}}) {
        INFO(name);
        auto manager = volumeIn(share.path(), name, share.path().string());
        CHECK(!fileContains(manager.location().container, kMarker));
        const auto mounted = manager.unlock(kPassphrase, {VolumeEngine::Userspace, std::nullopt, std::nullopt});
        CHECK(mounted.engine == VolumeEngine::Userspace);
        checkFiles(manager.location().mountPoint, "kernel", seed);
        manager.lock();
    }
}

TEST_CASE("guest: the kernel engine opens the volumes the userspace engine wrote", "[.guest]")
{
    REQUIRE(VolumeManager::availableEngine(VolumeEngine::Automatic) == VolumeEngine::Kernel);
    std::filesystem::create_directories("/tmp/guest");
    for (const auto& [name, seed] : {std::pair<std::string, unsigned>{"host", 11}, {"host512", 12}}) {
        INFO(name);
        auto manager = volumeIn(shareDir(), name, "/tmp/guest");
        KeyslotOpenCounter derivations;
        const auto mounted = manager.unlock(kPassphrase, {});
        CHECK(derivations.count() == 1); // dm-crypt gets the derived key, not the passphrase again
        CHECK(mounted.engine == VolumeEngine::Kernel);
        CHECK(mounted.device == "/dev/mapper/parley-" + mounted.uuid);
        checkFiles(manager.location().mountPoint, "userspace", seed);
        CHECK(manager.lock());
        CHECK(!std::filesystem::exists("/dev/mapper/parley-" + mounted.uuid));
    }
}

TEST_CASE("guest: stock cryptsetup open and mount read the userspace engine's volume", "[.guest]")
{
    const auto container = shareDir() / "host.luks";
    std::filesystem::create_directories("/tmp/guest/stock");
    REQUIRE(shell("printf '%s' '" + kPassphrase + "' | cryptsetup open --key-file - " + container.string() +
                  " stock-check") == 0);
    REQUIRE(shell("mount -o ro /dev/mapper/stock-check /tmp/guest/stock") == 0);
    checkFiles("/tmp/guest/stock", "userspace", 11);
    CHECK(shell("umount /tmp/guest/stock && cryptsetup close stock-check") == 0);
}

TEST_CASE("guest: the kernel engine writes volumes with 4096- and 512-byte sectors", "[.guest]")
{
    std::filesystem::create_directories("/tmp/guest");
    for (const auto& [name, seed, sector] :
         {std::tuple<std::string, unsigned, std::uint32_t>{"kernel", 21, 4096}, {"kernel512", 22, 512}}) {
        auto manager = volumeIn(shareDir(), name, "/tmp/guest");
        manager.create(kPassphrase, smallVolume(sector));
        const auto mounted = manager.unlock(kPassphrase, {VolumeEngine::Kernel, std::nullopt, std::nullopt});
        REQUIRE(mounted.engine == VolumeEngine::Kernel);
        std::string whyNot;
        CHECK(inspectVolume(manager.location().mountPoint, whyNot));
        writeFiles(manager.location().mountPoint, "kernel", seed);
        CHECK(manager.lock());
    }
}
