#include "mount_table.h"

#include <parley/volume/volume_check.h>
#include <parley/volume/volume_error.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <sys/statvfs.h>

namespace parley::volume {

namespace {

std::string readFirstLine(const std::filesystem::path& file)
{
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    return line;
}

std::string withoutDashes(std::string text)
{
    text.erase(std::remove(text.begin(), text.end(), '-'), text.end());
    return text;
}

bool hasOption(const std::string& options, const std::string& wanted)
{
    std::size_t start = 0;
    while (start <= options.size()) {
        const std::size_t end = std::min(options.find(',', start), options.size());
        if (options.compare(start, end - start, wanted) == 0)
            return true;
        start = end + 1;
    }
    return false;
}

} // namespace

std::string engineName(VolumeEngine engine)
{
    switch (engine) {
    case VolumeEngine::Kernel: return "kernel";
    case VolumeEngine::Userspace: return "userspace";
    case VolumeEngine::Automatic: break;
    }
    return "auto";
}

VolumeEngine parseEngine(const std::string& name)
{
    if (name == "auto")
        return VolumeEngine::Automatic;
    if (name == "kernel")
        return VolumeEngine::Kernel;
    if (name == "userspace")
        return VolumeEngine::Userspace;
    throw std::invalid_argument("unknown volume engine '" + name + "' (auto, kernel or userspace)");
}

std::optional<MountedVolume> inspectVolume(const std::filesystem::path& directory, std::string& whyNot)
{
    std::error_code error;
    const auto canonical = std::filesystem::canonical(directory, error);
    if (error) {
        whyNot = directory.string() + " does not exist: the recording volume was never unlocked here";
        return std::nullopt;
    }
    const auto table = readMountTable();
    const auto mount = findMount(table, canonical);
    if (!mount) {
        whyNot = "no volume is mounted at " + canonical.string() +
                 ": the recording volume is locked (unlock it with `parleyctl volume unlock`)";
        return std::nullopt;
    }
    if (mount->fsType != "ext4") {
        whyNot = canonical.string() + " holds a " + mount->fsType + " file system, not a Parley volume";
        return std::nullopt;
    }
    // After an error, ext4's errors=remount-ro marks the file system read-only, not the
    // mount: "ro" in its own options, or (newer kernels) "emergency_ro" beside "rw".
    if (!hasOption(mount->options, "rw") || !hasOption(mount->superOptions, "rw") ||
        hasOption(mount->superOptions, "emergency_ro") || hasOption(mount->superOptions, "shutdown")) {
        whyNot = "the volume at " + canonical.string() +
                 " is mounted read-only (its file system reported an error); lock and unlock it to check it";
        return std::nullopt;
    }
    MountedVolume volume;
    volume.device = mount->source;
    volume.deviceNumber = mount->device;
    const std::filesystem::path sysfs = "/sys/dev/block/" + mount->device;
    std::string deviceUuid;
    if (std::filesystem::exists(sysfs / "dm" / "uuid")) {
        // libcryptsetup names LUKS2 mappings CRYPT-LUKS2-<uuid without dashes>-<name>.
        const std::string dmUuid = readFirstLine(sysfs / "dm" / "uuid");
        if (!dmUuid.starts_with("CRYPT-LUKS2-")) {
            whyNot = canonical.string() + " is on device-mapper device " + mount->source +
                     ", which is not a LUKS2 encrypted mapping";
            return std::nullopt;
        }
        deviceUuid = dmUuid.substr(12, 32);
        volume.engine = VolumeEngine::Kernel;
    }
    else if (std::filesystem::exists(sysfs / "loop" / "backing_file")) {
        const std::string backing = readFirstLine(sysfs / "loop" / "backing_file");
        const auto holder = mountHolding(table, backing);
        if (!holder || holder->fsType != "fuse.parley-volume" || !holder->source.starts_with("parley:")) {
            whyNot = canonical.string() + " is on " + mount->source + " backed by the plain file " + backing +
                     ", which is not encrypted";
            return std::nullopt;
        }
        deviceUuid = withoutDashes(holder->source.substr(7));
        volume.engine = VolumeEngine::Userspace;
    }
    else {
        whyNot = canonical.string() + " is on " + mount->source + ", which is not an encrypted Parley volume";
        return std::nullopt;
    }
    const std::string marker = readFirstLine(canonical / kVolumeMarkerFile);
    if (!marker.starts_with("parley-volume ") || withoutDashes(marker.substr(14)) != deviceUuid) {
        whyNot = "the encrypted file system at " + canonical.string() + " is not marked as this Parley volume (" +
                 kVolumeMarkerFile + " is missing or names another volume)";
        return std::nullopt;
    }
    volume.uuid = marker.substr(14);
    struct statvfs space{};
    if (::statvfs(canonical.c_str(), &space) == 0) {
        volume.sizeBytes = static_cast<std::uint64_t>(space.f_blocks) * space.f_frsize;
        volume.freeBytes = static_cast<std::uint64_t>(space.f_bavail) * space.f_frsize;
    }
    return volume;
}

MountedVolume requireUnlockedVolume(const std::filesystem::path& directory)
{
    std::string whyNot;
    if (auto volume = inspectVolume(directory, whyNot))
        return *volume;
    throw VolumeError(VolumeFailure::NotUnlocked, "recordings are written only to an unlocked Parley volume; " + whyNot);
}

} // namespace parley::volume
