#pragma once

#include "account_fixture.h"

#include <filesystem>
#include <string>

namespace parley::test {

// Tiny argon2id cost so each key slot opens in milliseconds; container, mount point and the
// FUSE mount in a directory of root's next to the data directory.
inline std::string volumeArgs(const std::filesystem::path& dataDir, const std::filesystem::path& volumeDir)
{
    return ctlArgs(dataDir) + " --set volume.kdf_memory_kib=32 --set volume.kdf_parallel=1" +
           " --set volume.engine=userspace --set volume.runtime_dir=" + (volumeDir / "run").string() +
           " --set volume.container=" + (volumeDir / "recordings.luks").string() +
           " --set volume.mount_point=" + (volumeDir / "recordings").string();
}

/// Locks the volume when the test ends, whatever happened.
struct VolumeCleanup
{
    std::filesystem::path dataDir;
    std::filesystem::path volumeDir;
    ~VolumeCleanup() { runParleyctl(volumeArgs(dataDir, volumeDir) + " volume lock"); }
};

} // namespace parley::test
