#pragma once

#include <filesystem>
#include <string>
#include <vector>
#include <sys/types.h>

namespace parley::test {

/// Starts `args[0]` with `args` as its argument vector, standard output and error appended to
/// `outputFile`, in `workDir` (if not empty), with no signals blocked. Returns the pid;
/// throws std::runtime_error if it cannot be started.
pid_t spawnProcess(const std::vector<std::string>& args, const std::filesystem::path& outputFile,
                   const std::filesystem::path& workDir = {});

/// Runs `command` with /bin/sh and returns what it printed on standard output and error
/// together (for checks with the ffmpeg tools).
std::string shellOutput(const std::string& command);

} // namespace parley::test
