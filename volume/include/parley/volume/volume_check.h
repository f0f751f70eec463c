#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace parley::volume {

enum class VolumeEngine { Automatic, Kernel, Userspace };

/// "kernel", "userspace", "auto".
std::string engineName(VolumeEngine engine);
/// Parses the names above; throws std::invalid_argument for anything else.
VolumeEngine parseEngine(const std::string& name);

/// An unlocked Parley volume as seen from its mount point. Reading this needs no privilege:
/// it comes from /proc/self/mountinfo, /sys and the marker file at the volume's root.
struct MountedVolume
{
    std::string uuid;
    VolumeEngine engine = VolumeEngine::Automatic;
    std::string device;         ///< the block device mounted, e.g. /dev/dm-0 or /dev/loop3
    std::string deviceNumber;   ///< its "major:minor", as in /proc/self/mountinfo
    std::uint64_t sizeBytes = 0; ///< file system size
    std::uint64_t freeBytes = 0; ///< available to an unprivileged writer
};

/// Name of the file at the root of every Parley volume's file system, holding its LUKS UUID.
inline constexpr const char* kVolumeMarkerFile = ".parley-volume";

/// The volume mounted at `directory` if it is an unlocked Parley volume: an ext4 file system,
/// mounted read-write, on a dm-crypt mapping of a LUKS2 container (kernel engine) or on a loop
/// device over Parley's FUSE block file (userspace engine), whose marker names the same
/// volume as the device underneath. Otherwise nothing, and `whyNot` says what is wrong in
/// words an administrator can act on.
std::optional<MountedVolume> inspectVolume(const std::filesystem::path& directory, std::string& whyNot);

/// As inspectVolume, but throws VolumeError(NotUnlocked) with the reason. Anything that
/// writes recordings calls this first and writes nothing if it throws.
MountedVolume requireUnlockedVolume(const std::filesystem::path& directory);

} // namespace parley::volume
