#include "temp_dir.h"

#include <parley/volume/luks_container.h>
#include <parley/volume/volume_error.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <vector>

using namespace parley::volume;
using parley::test::TempDir;

namespace {

// Tiny argon2id cost: a keyslot opens in milliseconds. Production uses the defaults.
constexpr KdfCost kTinyKdf{32, 4, 1};

ContainerOptions smallVolume(std::uint32_t sectorSize = 4096)
{
    ContainerOptions options;
    options.sizeBytes = 40ull * 1024 * 1024;
    options.sectorSize = sectorSize;
    options.kdf = kTinyKdf;
    return options;
}

VolumeFailure failureOf(const std::function<void()>& action)
{
    try {
        action();
    }
    catch (const VolumeError& e) {
        return e.failure();
    }
    FAIL("expected a VolumeError");
    return VolumeFailure::SystemError;
}

std::vector<std::uint8_t> keyBytes(const SecretBytes& key)
{
    return {key.data(), key.data() + key.size()};
}

void overwrite(const std::filesystem::path& file, std::size_t offset, std::size_t length, char value)
{
    std::fstream out(file, std::ios::in | std::ios::out | std::ios::binary);
    out.seekp(static_cast<std::streamoff>(offset));
    const std::string junk(length, value);
    out.write(junk.data(), static_cast<std::streamsize>(junk.size()));
}

} // namespace

TEST_CASE("a new container is LUKS2 aes-xts-plain64 with a 512-bit key, labelled as Parley's", "[volume]")
{
    TempDir dir;
    const auto file = dir / "rec.luks";
    auto container = LuksContainer::create(file, "correct horse", smallVolume());
    const auto info = container.info();
    CHECK(info.cipher == "aes-xts-plain64");
    CHECK(info.volumeKeyBits == 512);
    CHECK(info.sectorSize == 4096);
    CHECK(info.label == "parley");
    CHECK(info.subsystem == "unformatted");
    CHECK(info.keyslots == std::vector<int>{0});
    CHECK(info.dataOffsetBytes == 16u * 1024 * 1024);
    CHECK(info.dataSizeBytes == 24u * 1024 * 1024);
    CHECK(info.uuid.size() == 36);
    CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::group_all) ==
          std::filesystem::perms::none);

    // The same header read back by a fresh open.
    CHECK(LuksContainer::open(file).info().uuid == info.uuid);
    SECTION("an existing file is never overwritten")
    {
        CHECK(failureOf([&] { LuksContainer::create(file, "x", smallVolume()); }) == VolumeFailure::InUse);
        CHECK(LuksContainer::open(file).info().uuid == info.uuid);
    }
}

TEST_CASE("the passphrase opens the container, and a wrong one is refused", "[volume]")
{
    TempDir dir;
    auto container = LuksContainer::create(dir / "rec.luks", "correct horse", smallVolume());
    CHECK(container.verify("correct horse") == 0);
    CHECK(failureOf([&] { container.verify("correct hors"); }) == VolumeFailure::WrongPassphrase);
    CHECK(failureOf([&] { container.volumeKey("wrong"); }) == VolumeFailure::WrongPassphrase);
    CHECK(container.volumeKey("correct horse").size() == 64);
}

TEST_CASE("keys are added, changed and revoked, and a revoked key stops working", "[volume]")
{
    TempDir dir;
    const auto file = dir / "rec.luks";
    auto container = LuksContainer::create(file, "first", smallVolume());
    const auto volumeKey = keyBytes(container.volumeKey("first"));

    const int second = container.addKey("first", "second", kTinyKdf);
    CHECK(second == 1);
    CHECK(failureOf([&] { container.addKey("not a key", "third", kTinyKdf); }) == VolumeFailure::WrongPassphrase);
    // Every key opens the same volume key: adding a key re-encrypts nothing.
    CHECK(keyBytes(container.volumeKey("second")) == volumeKey);
    CHECK(container.info().keyslots == std::vector<int>{0, 1});

    container.revokeKey(0);
    CHECK(failureOf([&] { LuksContainer::open(file).verify("first"); }) == VolumeFailure::WrongPassphrase);
    CHECK(LuksContainer::open(file).verify("second") == 1);
    CHECK(LuksContainer::open(file).info().keyslots == std::vector<int>{1});

    SECTION("the last key cannot be revoked")
    {
        CHECK(failureOf([&] { container.revokeKey(1); }) == VolumeFailure::LastKey);
        CHECK(LuksContainer::open(file).verify("second") == 1);
        CHECK_THROWS_AS(container.revokeKey(5), std::invalid_argument);
    }
    SECTION("changing a passphrase retires the old one")
    {
        // Still one slot, and the one reported.
        const int slot = container.changeKey("second", "third", kTinyKdf);
        CHECK(LuksContainer::open(file).info().keyslots == std::vector<int>{slot});
        auto reopened = LuksContainer::open(file);
        CHECK(failureOf([&] { reopened.verify("second"); }) == VolumeFailure::WrongPassphrase);
        CHECK(keyBytes(reopened.volumeKey("third")) == volumeKey);
    }
}

TEST_CASE("a damaged header is restored from its backup", "[volume]")
{
    TempDir dir;
    const auto file = dir / "rec.luks";
    auto container = LuksContainer::create(file, "pass", smallVolume(512));
    const auto volumeKey = keyBytes(container.volumeKey("pass"));
    container.backupHeader(dir / "header.img");
    CHECK(failureOf([&] { container.backupHeader(dir / "header.img"); }) == VolumeFailure::InUse);
    CHECK((std::filesystem::status(dir / "header.img").permissions() & std::filesystem::perms::others_all) ==
          std::filesystem::perms::none);

    // Both header copies and the keyslot area: the container is unreadable.
    overwrite(file, 0, 16 * 1024 * 1024, '\x5a');
    CHECK(failureOf([&] { LuksContainer::open(file); }) == VolumeFailure::NotAVolume);

    LuksContainer::restoreHeader(file, dir / "header.img");
    auto restored = LuksContainer::open(file);
    CHECK(keyBytes(restored.volumeKey("pass")) == volumeKey);
    CHECK(restored.info().sectorSize == 512);

    SECTION("another container's backup is refused")
    {
        auto other = LuksContainer::create(dir / "other.luks", "pass", smallVolume());
        other.backupHeader(dir / "other-header.img");
        CHECK(failureOf([&] { LuksContainer::restoreHeader(file, dir / "other-header.img"); }) ==
              VolumeFailure::NotAVolume);
        CHECK(keyBytes(LuksContainer::open(file).volumeKey("pass")) == volumeKey);
    }
    SECTION("a file that is not a header backup is refused")
    {
        parley::test::writeFile(dir / "junk.img", std::string(8192, 'j'));
        CHECK(failureOf([&] { LuksContainer::restoreHeader(file, dir / "junk.img"); }) == VolumeFailure::NotAVolume);
    }
}

TEST_CASE("files that are not LUKS2 containers, and bad options, are refused", "[volume]")
{
    TempDir dir;
    parley::test::writeFile(dir / "random.img", std::string(64 * 1024, '\x17'));
    CHECK(failureOf([&] { LuksContainer::open(dir / "random.img"); }) == VolumeFailure::NotAVolume);
    parley::test::writeFile(dir / "empty.img", "");
    CHECK(failureOf([&] { LuksContainer::open(dir / "empty.img"); }) == VolumeFailure::NotAVolume);
    CHECK(failureOf([&] { LuksContainer::open(dir / "missing.img"); }) == VolumeFailure::NotAVolume);
    // The first 4 KiB of a real header, and nothing else.
    {
        auto container = LuksContainer::create(dir / "whole.luks", "pass", smallVolume());
    }
    parley::test::writeFile(dir / "truncated.img", parley::test::readFile(dir / "whole.luks").substr(0, 4096));
    CHECK(failureOf([&] { LuksContainer::open(dir / "truncated.img").volumeKey("pass"); }) ==
          VolumeFailure::NotAVolume);

    auto options = smallVolume();
    options.sizeBytes = 1024 * 1024;
    CHECK_THROWS_AS(LuksContainer::create(dir / "tiny.luks", "pass", options), std::invalid_argument);
    CHECK_THROWS_AS(LuksContainer::create(dir / "nopass.luks", "", smallVolume()), std::invalid_argument);
    options = smallVolume();
    options.sectorSize = 1000;
    CHECK_THROWS_AS(LuksContainer::create(dir / "sector.luks", "pass", options), std::invalid_argument);
    CHECK(!std::filesystem::exists(dir / "tiny.luks"));
}
