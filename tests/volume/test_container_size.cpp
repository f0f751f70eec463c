// A container cut short (its data area truncated, e.g. by a full disk or an interrupted
// copy): `e2fsck -f -n` answers "no" to its size question and exits 0, so the check compares
// the sizes itself, and an unlock refuses before mounting a file system bigger than its device.
#include "volume_fixture.h"

#include <parley/volume/volume_error.h>

#include <catch2/catch.hpp>

#include <filesystem>

using namespace parley::volume;
using namespace parley::test;

namespace {

const UnlockOptions kUserspace{VolumeEngine::Userspace, std::nullopt, std::nullopt};

} // namespace

TEST_CASE("a container cut short fails the check and is not unlocked, and the message names both sizes", "[volume]")
{
    VolumeFixture volume;
    volume.create("s3cret"); // 48 MiB: 16 MiB of header, 32 MiB of data
    volume.manager.unlock("s3cret", kUserspace);
    volume.manager.lock();
    const auto intact = volume.manager.checkFilesystem("s3cret", VolumeEngine::Userspace);
    INFO(intact.sizeProblem << intact.output);
    CHECK(intact.clean());

    // 8 MiB off the end: still whole sectors, so both engines would serve the rest.
    const auto container = volume.manager.location().container;
    std::filesystem::resize_file(container, 40ull * 1024 * 1024);
    const auto cut = volume.manager.checkFilesystem("s3cret", VolumeEngine::Userspace);
    INFO(cut.sizeProblem);
    CHECK(!cut.clean());
    CHECK(cut.exitCode == -1); // e2fsck was not run on it
    CHECK_THAT(cut.sizeProblem, Catch::Contains("33554432 bytes") &&     // the file system
                                    Catch::Contains("25165824 bytes") && // the data left
                                    Catch::Contains("Restore it from a complete copy"));

    try {
        volume.manager.unlock("s3cret", kUserspace);
        FAIL("a container cut short was unlocked");
    }
    catch (const VolumeError& e) {
        CHECK(e.failure() == VolumeFailure::NotAVolume);
        CHECK_THAT(e.what(), Catch::Contains("33554432 bytes") && Catch::Contains("25165824 bytes"));
    }
    CHECK(!volume.manager.status().mounted);
    CHECK(volume.manager.status().enginePid == 0);
}

TEST_CASE("a container cut back to its header is refused before any key is used, naming the sizes", "[volume]")
{
    TempDir dir;
    const auto file = dir / "stock.luks";
    stockLuksFormat(file, 40, "pass");
    CHECK(!LuksContainer::open(file).info().headerDataSizeBytes); // "dynamic": to the end of the file
    std::filesystem::resize_file(file, 16ull * 1024 * 1024);  // the header and nothing else
    VolumeManager manager({file, dir / "mnt", dir / "run"});
    try {
        manager.adopt("wrong passphrase", {VolumeEngine::Userspace, false});
        FAIL("a container with no data was adopted");
    }
    catch (const VolumeError& e) {
        CHECK(e.failure() == VolumeFailure::NotAVolume); // not WrongPassphrase: no key was tried
        CHECK_THAT(e.what(), Catch::Contains("is 16777216 bytes") && Catch::Contains("from byte 16777216"));
    }
    CHECK(LuksContainer::open(file).info().label.empty()); // nothing was changed
}
