// `parleyctl volume adopt`: a LUKS2 container made with stock `cryptsetup luksFormat` becomes
// a Parley volume only after it opened with its key and was found to hold a sound ext4 file
// system (or was explicitly formatted); until then nothing in it changes.
#include "volume_attachment.h"
#include "volume_fixture.h"

#include <parley/volume/volume_error.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <sys/mount.h>

using namespace parley::volume;
using namespace parley::test;

namespace {

const UnlockOptions kUserspace{VolumeEngine::Userspace, std::nullopt, std::nullopt};
const AdoptOptions kKeep{VolumeEngine::Userspace, false};
const AdoptOptions kFormat{VolumeEngine::Userspace, true};

VolumeFailure failureOf(const std::function<void()>& action, std::string& message)
{
    try {
        action();
    }
    catch (const VolumeError& e) {
        message = e.what();
        return e.failure();
    }
    FAIL("expected a VolumeError");
    return VolumeFailure::SystemError;
}

/// What an administrator did with stock tools: an ext4 file system in the container, with a
/// file in it (made here through the userspace engine, as this machine has no dm-crypt).
void fillWithStockExt4(const VolumeManager& manager, const std::string& passphrase, const std::string& content)
{
    auto container = LuksContainer::open(manager.location().container);
    auto attachment = VolumeAttachment::attach(container, container.volumeKey(passphrase), VolumeEngine::Userspace,
                                               manager.location().runtimeDir);
    REQUIRE(std::system(("mkfs.ext4 -q " + attachment.device()).c_str()) == 0);
    const auto mnt = manager.location().mountPoint.parent_path() / "stock-mnt";
    std::filesystem::create_directories(mnt);
    REQUIRE(::mount(attachment.device().c_str(), mnt.c_str(), "ext4", 0, nullptr) == 0);
    std::ofstream(mnt / "kept.txt") << content;
    REQUIRE(::umount(mnt.c_str()) == 0);
}

} // namespace

TEST_CASE("a volume made with stock cryptsetup luksFormat is adopted with its ext4 and files, then unlocks",
          "[volume]")
{
    VolumeFixture volume;
    const auto file = volume.manager.location().container;
    stockLuksFormat(file, 40, "stock pass", "--label mine");
    fillWithStockExt4(volume.manager, "stock pass", "made before Parley");
    std::string message;

    // Before: not a Parley volume, and the refusal says how to adopt it.
    CHECK(failureOf([&] { volume.manager.unlock("stock pass", kUserspace); }, message) == VolumeFailure::NotAVolume);
    CHECK_THAT(message, Catch::Contains("parleyctl volume adopt"));

    // A wrong key, or --format on a volume that holds ext4, changes nothing.
    CHECK(failureOf([&] { volume.manager.adopt("wrong", kKeep); }, message) == VolumeFailure::WrongPassphrase);
    CHECK(failureOf([&] { volume.manager.adopt("stock pass", kFormat); }, message) == VolumeFailure::InUse);
    CHECK_THAT(message, Catch::Contains("without --format"));
    CHECK(LuksContainer::open(file).info().label == "mine");

    // Open outside Parley (a loop device on it, as `cryptsetup open` attaches): refused.
    REQUIRE(std::system(("losetup -f " + file.string()).c_str()) == 0);
    const auto loopRefusal = failureOf([&] { volume.manager.adopt("stock pass", kKeep); }, message);
    std::system(("losetup -j " + file.string() + " | cut -d: -f1 | xargs -r -n1 losetup -d").c_str());
    CHECK(loopRefusal == VolumeFailure::InUse);
    CHECK_THAT(message, Catch::Contains("is attached to it") && Catch::Contains("before adopting"));

    const auto adopted = volume.manager.adopt("stock pass", kKeep);
    CHECK(!adopted.formatted);
    CHECK(adopted.previousLabel == "mine");
    CHECK(adopted.info.label == "parley");
    CHECK(adopted.info.subsystem == "ext4");
    CHECK(volume.manager.status().enginePid == 0); // locked again afterwards

    const auto mounted = volume.manager.unlock("stock pass", kUserspace);
    CHECK(mounted.uuid == adopted.info.uuid);
    CHECK(readBytes(volume.manager.location().mountPoint / "kept.txt") == "made before Parley");
    volume.manager.lock();
    CHECK(failureOf([&] { volume.manager.adopt("stock pass", kKeep); }, message) == VolumeFailure::InUse);
    CHECK_THAT(message, Catch::Contains("already"));
}

TEST_CASE("adopting a volume without ext4 needs --format, and other ciphers are refused", "[volume]")
{
    VolumeFixture volume;
    const auto file = volume.manager.location().container;
    std::string message;

    SECTION("no file system: refused, then made with --format")
    {
        stockLuksFormat(file, 40, "stock pass");
        CHECK(failureOf([&] { volume.manager.adopt("stock pass", kKeep); }, message) == VolumeFailure::NotAVolume);
        CHECK_THAT(message, Catch::Contains("no file system") && Catch::Contains("adopt --format"));
        CHECK(LuksContainer::open(file).info().label.empty());

        const auto adopted = volume.manager.adopt("stock pass", kFormat);
        CHECK(adopted.formatted);
        CHECK(adopted.info.subsystem == "ext4");
        volume.manager.unlock("stock pass", kUserspace);
        std::ofstream(volume.manager.location().mountPoint / "a.txt") << "recorded";
        volume.manager.lock();
        volume.manager.unlock("stock pass", kUserspace);
        CHECK(readBytes(volume.manager.location().mountPoint / "a.txt") == "recorded");
    }
    SECTION("other content is named, and not formatted without --format")
    {
        stockLuksFormat(file, 40, "stock pass");
        {
            auto container = LuksContainer::open(file);
            auto attachment = VolumeAttachment::attach(container, container.volumeKey("stock pass"),
                                                       VolumeEngine::Userspace, volume.manager.location().runtimeDir);
            REQUIRE(std::system(("mkswap " + attachment.device() + " > /dev/null").c_str()) == 0);
        }
        CHECK(failureOf([&] { volume.manager.adopt("stock pass", kKeep); }, message) == VolumeFailure::NotAVolume);
        CHECK_THAT(message, Catch::Contains("of type 'swap'"));
        CHECK(LuksContainer::open(file).info().label.empty());
    }
    SECTION("a cipher the userspace engine does not read")
    {
        stockLuksFormat(file, 40, "stock pass", "--cipher aes-cbc-essiv:sha256 --key-size 256");
        CHECK(failureOf([&] { volume.manager.adopt("stock pass", kKeep); }, message) == VolumeFailure::NotAVolume);
        CHECK_THAT(message, Catch::Contains("aes-cbc-essiv:sha256") && Catch::Contains("cryptsetup reencrypt"));
        CHECK(LuksContainer::open(file).info().label.empty());
    }
}
