#pragma once

#include <string>
#include <vector>

namespace parley::volume {

struct CommandResult
{
    int exitCode = -1; ///< -1 if it was killed by a signal
    std::string output; ///< standard output and error, interleaved
};

/// Runs a system tool (mkfs.ext4, e2fsck) found in the sbin and bin directories, waits for it
/// and returns its exit code and output. The environment is cleared to a fixed PATH so a
/// caller's environment cannot change what runs. Throws VolumeError(SystemError) if the tool
/// is not installed.
CommandResult runCommand(const std::vector<std::string>& arguments);

} // namespace parley::volume
