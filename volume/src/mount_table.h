#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::volume {

/// One line of /proc/self/mountinfo.
struct MountEntry
{
    std::string device;     ///< "major:minor" of the mounted file system
    std::string mountPoint;
    std::string options;    ///< per-mount options, e.g. "rw,nosuid,nodev,noexec,relatime"
    std::string fsType;     ///< e.g. "ext4", "fuse.parley-volume"
    std::string source;     ///< e.g. "/dev/loop3", "parley:<uuid>"
    std::string superOptions; ///< the file system's own, e.g. "ro,errors=remount-ro" after an error
};

/// Parses mountinfo text (octal escapes such as \040 decoded). Malformed lines are skipped.
std::vector<MountEntry> parseMountInfo(std::string_view text);

/// The current mount table of this process's mount namespace.
std::vector<MountEntry> readMountTable();

/// The topmost mount whose mount point is exactly `directory`.
std::optional<MountEntry> findMount(const std::vector<MountEntry>& table, const std::filesystem::path& directory);

/// The mount that holds `path` (the longest mount point that is a prefix of it).
std::optional<MountEntry> mountHolding(const std::vector<MountEntry>& table, const std::filesystem::path& path);

} // namespace parley::volume
