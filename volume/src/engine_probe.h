#pragma once

#include <parley/volume/volume_manager.h>

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace parley::volume {

/// What this machine offers the two engines, with the reason for each one it does not.
struct EngineSupport
{
    bool kernel = false;
    std::string kernelProblem;    ///< why dm-crypt cannot be used, in words an admin can act on
    bool userspace = false;
    std::string userspaceProblem; ///< why the userspace engine cannot run
};

/// Where the probes look; tests point them at files of their own.
struct EngineProbePaths
{
    std::filesystem::path deviceMapperControl = "/dev/mapper/control";
    std::filesystem::path kernelModules = "/lib/modules"; ///< holds <release>/modules.dep
    std::filesystem::path fuse = "/dev/fuse";
    std::filesystem::path loopControl = "/dev/loop-control";
};

/// The target names in a DM_LIST_VERSIONS reply (`reply` starts at the first
/// struct dm_target_versions). Stops at the first entry that is cut short or points outside
/// the reply, so a malformed reply yields the names before it and nothing else.
std::vector<std::string> deviceMapperTargets(std::span<const std::byte> reply);

/// Whether dm-crypt works here: `deviceMapperControl` must open and answer DM_LIST_VERSIONS,
/// and list the "crypt" target, or the running kernel must have a dm-crypt module it loads
/// on demand (listed in `<kernelModules>/<release>/modules.dep`). A file that merely exists
/// at /dev/mapper/control (as in containers whose kernel has no device-mapper) is not enough.
EngineSupport probeEngines(const EngineProbePaths& paths = {});

/// The decision: the engine `requested` resolves to with `support`. Automatic prefers the
/// kernel engine and falls back to the userspace engine, with EngineChoice::note saying why.
/// Throws VolumeError(Unsupported) naming the reason if the engine cannot run.
EngineChoice chooseEngine(VolumeEngine requested, const EngineSupport& support);

} // namespace parley::volume
