#pragma once

#include <parley/volume/luks_container.h>

#include <filesystem>
#include <string>
#include <sys/types.h>

namespace parley::volume {

/// The userspace engine's FUSE process, as recorded in its pid file: the pid and the
/// process's start time (so a reused pid is never taken for it).
struct BlockFileProcess
{
    pid_t pid = 0;
    unsigned long long startTime = 0;
};

/// Starts the userspace engine's FUSE process for `container`: the separate executable
/// parley-volume-engine, in its own session (not a child of the caller, so it outlives
/// parleyctl), given the container as an open descriptor and the volume key through a pipe.
/// Returns once `<mountDir>/block` is served, after writing `pidFile`. Throws VolumeError
/// if it could not start.
BlockFileProcess startBlockFileProcess(int containerFd, const ContainerInfo& info, SecretBytes volumeKey,
                                       const std::filesystem::path& mountDir, const std::filesystem::path& pidFile);

/// The process in `pidFile` if it is still that process, else a zero pid.
BlockFileProcess runningBlockFileProcess(const std::filesystem::path& pidFile);

} // namespace parley::volume
