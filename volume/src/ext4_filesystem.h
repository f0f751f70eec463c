#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace parley::volume {

/// True if `device` starts with an ext2/3/4 superblock (magic 0xEF53 at byte 1080).
bool hasExt4Signature(const std::string& device);

/// The size of the ext2/3/4 file system on `device` as its superblock gives it (block count
/// times block size), or nothing if there is no such superblock or it is implausible (a block
/// size outside 1 KiB..64 KiB).
std::optional<std::uint64_t> ext4SizeBytes(const std::string& device);

/// mkfs.ext4 on `device`, labelled `label`, no blocks reserved for root (the server writes
/// as its own user). Always 4096-byte blocks: mkfs would pick 1024 for a small device, and
/// such a file system cannot be mounted on a device with 4096-byte sectors (dm-crypt's). Throws VolumeError(SystemError) with mkfs's output on failure.
void makeExt4(const std::string& device, const std::string& label);

/// e2fsck -p: replays the journal and fixes what is safe to fix, as at boot. Throws
/// VolumeError(SystemError) if errors remain that need a person (exit code 4 or more).
void checkExt4(const std::string& device);

/// Mounts ext4 `device` at `directory` with nosuid, nodev, noexec and errors=remount-ro.
void mountExt4(const std::string& device, const std::filesystem::path& directory);

/// Unmounts `directory`; throws VolumeError(InUse) if files are still open in it.
void unmount(const std::filesystem::path& directory);

} // namespace parley::volume
