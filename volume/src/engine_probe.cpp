#include "engine_probe.h"

#include <parley/volume/volume_error.h>

#include <linux/dm-ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace parley::volume {

namespace {

constexpr std::size_t kMaxTargets = 1024; // device-mapper has a few dozen target types

/// The reply to DM_LIST_VERSIONS from `control`, from the first target entry on; throws
/// nothing, says why not in `whyNot`.
std::vector<std::byte> listTargetVersions(const std::filesystem::path& control, std::string& whyNot)
{
    const int fd = ::open(control.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        whyNot = "cannot open " + control.string() + ": " + std::strerror(errno) +
                 " (the kernel has no device-mapper)";
        return {};
    }
    // The reply grows with the number of targets; start with room for many and grow if the
    // kernel says the buffer was full.
    for (std::size_t size = 16 * 1024; size <= 1024 * 1024; size *= 4) {
        std::vector<std::byte> buffer(size);
        dm_ioctl header{};
        header.version[0] = DM_VERSION_MAJOR;
        header.version[1] = 0;
        header.version[2] = 0;
        header.data_size = static_cast<std::uint32_t>(size);
        header.data_start = sizeof(dm_ioctl);
        std::memcpy(buffer.data(), &header, sizeof header);
        if (::ioctl(fd, DM_LIST_VERSIONS, buffer.data()) != 0) {
            whyNot = control.string() + " does not answer device-mapper's DM_LIST_VERSIONS: " + std::strerror(errno);
            ::close(fd);
            return {};
        }
        std::memcpy(&header, buffer.data(), sizeof header);
        if ((header.flags & DM_BUFFER_FULL_FLAG) != 0)
            continue;
        ::close(fd);
        const std::size_t start = std::min<std::size_t>(header.data_start, size);
        const std::size_t end = std::clamp<std::size_t>(header.data_size, start, size);
        return {buffer.begin() + static_cast<std::ptrdiff_t>(start), buffer.begin() + static_cast<std::ptrdiff_t>(end)};
    }
    ::close(fd);
    whyNot = "device-mapper's list of targets does not fit in 1 MiB";
    return {};
}

/// True if the running kernel has a dm-crypt module its modprobe finds, so that mapping a
/// volume loads it (the kernel asks for "dm-crypt" when a table names the crypt target).
bool dmCryptModuleAvailable(const std::filesystem::path& modules)
{
    utsname system{};
    if (::uname(&system) != 0)
        return false;
    std::ifstream dependencies(modules / system.release / "modules.dep");
    std::string line;
    while (std::getline(dependencies, line)) {
        const std::string file = line.substr(0, line.find(':'));
        const auto slash = file.rfind('/');
        const std::string name = file.substr(slash == std::string::npos ? 0 : slash + 1);
        if (name.starts_with("dm-crypt.ko"))
            return true;
    }
    return false;
}

} // namespace

std::vector<std::string> deviceMapperTargets(std::span<const std::byte> reply)
{
    std::vector<std::string> names;
    std::size_t offset = 0;
    while (names.size() < kMaxTargets && offset <= reply.size() &&
           reply.size() - offset > sizeof(dm_target_versions)) {
        dm_target_versions entry{};
        std::memcpy(&entry, reply.data() + offset, sizeof entry);
        const auto* name = reinterpret_cast<const char*>(reply.data() + offset + sizeof entry);
        const std::size_t room = reply.size() - offset - sizeof entry;
        const std::size_t length = ::strnlen(name, room);
        if (length == room)
            break; // the name runs off the end of the reply
        names.emplace_back(name, length);
        // Each entry points to the next; 0 ends the list. An entry that points into itself
        // or past the reply ends it too.
        if (entry.next == 0 || entry.next < sizeof entry + length + 1 || entry.next > reply.size() - offset)
            break;
        offset += entry.next;
    }
    return names;
}

EngineSupport probeEngines(const EngineProbePaths& paths)
{
    EngineSupport support;
    std::string whyNot;
    const auto reply = listTargetVersions(paths.deviceMapperControl, whyNot);
    if (whyNot.empty()) {
        const auto targets = deviceMapperTargets(reply);
        if (std::find(targets.begin(), targets.end(), "crypt") != targets.end() ||
            dmCryptModuleAvailable(paths.kernelModules))
            support.kernel = true;
        else
            whyNot = "device-mapper has no crypt target and the running kernel has no dm-crypt module "
                     "(install the kernel's modules, or `modprobe dm-crypt`)";
    }
    support.kernelProblem = whyNot;
    support.userspace = std::filesystem::exists(paths.fuse) && std::filesystem::exists(paths.loopControl);
    if (!support.userspace)
        support.userspaceProblem = "the userspace engine needs " + paths.fuse.string() + " and " +
                                   paths.loopControl.string() + " (load the fuse and loop modules)";
    return support;
}

EngineChoice chooseEngine(VolumeEngine requested, const EngineSupport& support)
{
    if (requested == VolumeEngine::Kernel && !support.kernel)
        throw VolumeError(VolumeFailure::Unsupported, "the kernel engine needs dm-crypt, which does not work here: " +
                                                          support.kernelProblem +
                                                          "; or set volume.engine = userspace (or auto)");
    if (requested == VolumeEngine::Userspace && !support.userspace)
        throw VolumeError(VolumeFailure::Unsupported, support.userspaceProblem);
    if (requested != VolumeEngine::Automatic)
        return {requested, {}};
    if (support.kernel)
        return {VolumeEngine::Kernel, {}};
    if (support.userspace)
        return {VolumeEngine::Userspace,
                "volume.engine = auto: dm-crypt does not work here (" + support.kernelProblem +
                    "); using the userspace engine. Set volume.engine = userspace to choose it explicitly."};
    throw VolumeError(VolumeFailure::Unsupported,
                      "no volume engine can run here: dm-crypt does not work (" + support.kernelProblem + ") and " +
                          support.userspaceProblem);
}

} // namespace parley::volume
