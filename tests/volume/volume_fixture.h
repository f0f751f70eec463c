#pragma once

#include "temp_dir.h"

#include <parley/volume/volume_manager.h>

#include <cstdint>
#include <string>

namespace parley::test {

/// A recording volume in a temporary directory: container, mount point and the userspace
/// engine's runtime directory. Locks the volume on destruction, so a failed test leaves no
/// mount, loop device or FUSE process behind.
struct VolumeFixture
{
    TempDir dir;
    volume::VolumeManager manager{{dir / "recordings.luks", dir / "mnt", dir / "run"}};

    /// A 48 MiB container with the tiny argon2id cost tests use.
    volume::LuksContainer create(const std::string& passphrase, std::uint32_t sectorSize = 4096);

    ~VolumeFixture();
};

/// A LUKS2 container made by stock `cryptsetup luksFormat` (the real binary, on a new file of
/// `sizeMiB` MiB of zeros) with the tiny argon2id cost and `extraOptions` (e.g. "--label x").
void stockLuksFormat(const std::filesystem::path& file, int sizeMiB, const std::string& passphrase,
                     const std::string& extraOptions = "");

/// The whole file as bytes.
std::string readBytes(const std::filesystem::path& file);

/// True if `needle` occurs anywhere in `file`, read in chunks (for multi-megabyte containers).
bool fileContains(const std::filesystem::path& file, const std::string& needle);

/// `size` bytes that do not repeat (a counter through SHA-256), so no two sectors are equal.
std::string patternBytes(std::size_t size, unsigned seed);

} // namespace parley::test
