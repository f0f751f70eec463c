#include "ext4_filesystem.h"
#include "external_command.h"
#include "mount_table.h"
#include "volume_attachment.h"

#include <parley/storage/volume_error.h>
#include <parley/storage/volume_manager.h>

#include <chrono>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace parley::storage {

namespace {

using namespace std::chrono_literals;

std::string readFirstLine(const std::filesystem::path& file)
{
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    return line;
}

void requireParleyLabel(const LuksContainer& container, const ContainerInfo& info)
{
    if (info.label != kParleyVolumeLabel)
        throw VolumeError(VolumeFailure::NotAVolume,
                          container.file().string() + " is a LUKS2 container but not a Parley volume (label '" +
                              info.label + "'); create volumes with `parleyctl volume create`");
}

void writeMarker(const std::filesystem::path& mountPoint, const std::string& uuid)
{
    const auto marker = mountPoint / kVolumeMarkerFile;
    const std::string existing = readFirstLine(marker);
    if (existing == "parley-volume " + uuid)
        return;
    if (!existing.empty())
        throw VolumeError(VolumeFailure::NotAVolume, "the file system of volume " + uuid + " is marked as volume '" +
                                                         existing.substr(existing.find(' ') + 1) +
                                                         "': was its header replaced by another volume's?");
    {
        std::ofstream out(marker);
        out << "parley-volume " << uuid << "\n";
        if (!out.flush())
            throw VolumeError(VolumeFailure::SystemError, "cannot write " + marker.string());
    }
    ::chmod(marker.c_str(), 0444);
}

} // namespace

VolumeManager::VolumeManager(VolumeLocation location)
    : location_(std::move(location))
{
}

VolumeEngine VolumeManager::availableEngine(VolumeEngine requested)
{
    const bool kernel = std::filesystem::exists("/dev/mapper/control");
    const bool userspace = std::filesystem::exists("/dev/fuse") && std::filesystem::exists("/dev/loop-control");
    if (requested == VolumeEngine::Kernel && !kernel)
        throw VolumeError(VolumeFailure::Unsupported,
                          "the kernel engine needs device-mapper (/dev/mapper/control is missing: load dm-crypt, "
                          "or set volume.engine = userspace)");
    if (requested == VolumeEngine::Userspace && !userspace)
        throw VolumeError(VolumeFailure::Unsupported,
                          "the userspace engine needs /dev/fuse and /dev/loop-control (load the fuse and loop modules)");
    if (requested != VolumeEngine::Automatic)
        return requested;
    if (kernel)
        return VolumeEngine::Kernel;
    if (userspace)
        return VolumeEngine::Userspace;
    throw VolumeError(VolumeFailure::Unsupported,
                      "no volume engine can run here: neither device-mapper nor FUSE with loop devices is available");
}

LuksContainer VolumeManager::create(std::string_view passphrase, const ContainerOptions& options) const
{
    if (!location_.container.parent_path().empty())
        std::filesystem::create_directories(location_.container.parent_path());
    return LuksContainer::create(location_.container, passphrase, options);
}

MountedVolume VolumeManager::unlock(std::string_view passphrase, const UnlockOptions& options) const
{
    std::string whyNot;
    if (inspectVolume(location_.mountPoint, whyNot))
        throw VolumeError(VolumeFailure::InUse, "the volume at " + location_.mountPoint.string() + " is unlocked already");
    if (findMount(readMountTable(), location_.mountPoint))
        throw VolumeError(VolumeFailure::InUse, "something else is mounted at " + location_.mountPoint.string() +
                                                    ": " + whyNot);
    LuksContainer container = LuksContainer::open(location_.container);
    const ContainerInfo info = container.info();
    requireParleyLabel(container, info);
    const VolumeEngine engine = availableEngine(options.engine);
    container.verify(passphrase); // a wrong passphrase is reported before anything is set up

    VolumeAttachment attachment = VolumeAttachment::attach(container, passphrase, engine, location_.runtimeDir);
    const std::string& device = attachment.device();
    if (info.subsystem == kSubsystemUnformatted) {
        if (!hasExt4Signature(device))
            makeExt4(device, "parley");
        container.setSubsystem(std::string(kSubsystemExt4));
    }
    else if (!hasExt4Signature(device))
        throw VolumeError(VolumeFailure::NotAVolume,
                          "no file system on the decrypted volume " + info.uuid +
                              ": the data segment is damaged or the header belongs to another container; nothing "
                              "was changed");
    checkExt4(device);
    std::filesystem::create_directories(location_.mountPoint);
    mountExt4(device, location_.mountPoint);
    try {
        writeMarker(location_.mountPoint, info.uuid);
        if (options.ownerUid) {
            if (::chown(location_.mountPoint.c_str(), *options.ownerUid, options.ownerGid.value_or(0)) != 0 ||
                ::chmod(location_.mountPoint.c_str(), 0700) != 0)
                throw VolumeError(VolumeFailure::SystemError,
                                  "cannot give " + location_.mountPoint.string() + " to the server's account");
        }
        attachment.release();
        return requireUnlockedVolume(location_.mountPoint);
    }
    catch (...) {
        try {
            unmount(location_.mountPoint);
        }
        catch (const VolumeError&) {
        }
        throw;
    }
}

bool VolumeManager::lock() const
{
    LuksContainer container = LuksContainer::open(location_.container);
    const std::string uuid = container.info().uuid;
    const auto table = readMountTable();
    bool changed = false;
    if (const auto mount = findMount(table, location_.mountPoint)) {
        unmount(location_.mountPoint);
        changed = true;
    }
    // After the unmount: a dm-crypt mapping or a userspace engine for this volume, if any.
    const std::string name = mappingName(uuid);
    if (std::filesystem::exists("/dev/mapper/" + name)) {
        for (int attempt = 0;; ++attempt) {
            try {
                LuksContainer::deactivate(name);
                break;
            }
            catch (const VolumeError& e) {
                if (e.failure() != VolumeFailure::InUse || attempt == 50)
                    throw;
                std::this_thread::sleep_for(100ms);
            }
        }
        changed = true;
    }
    const auto fuseDir = fuseDirectory(location_.runtimeDir, uuid);
    if (runningBlockFileProcess(location_.runtimeDir, uuid) != 0 || findMount(table, fuseDir)) {
        if (!stopBlockFileProcess(location_.runtimeDir, uuid))
            throw VolumeError(VolumeFailure::InUse, "the userspace engine's block file " + fuseDir.string() +
                                                        " is still in use (by a loop device?)");
        changed = true;
    }
    return changed;
}

VolumeStatus VolumeManager::status() const
{
    VolumeStatus status;
    std::error_code error;
    status.containerBytes = std::filesystem::file_size(location_.container, error);
    try {
        status.header = LuksContainer::open(location_.container).info();
        status.enginePid = runningBlockFileProcess(location_.runtimeDir, status.header->uuid);
    }
    catch (const VolumeError& e) {
        status.headerProblem = e.what();
    }
    status.mounted = inspectVolume(location_.mountPoint, status.lockedReason);
    return status;
}

FilesystemCheck VolumeManager::checkFilesystem(std::string_view passphrase, VolumeEngine engine) const
{
    std::string whyNot;
    if (inspectVolume(location_.mountPoint, whyNot))
        throw VolumeError(VolumeFailure::InUse, "lock the volume before checking its file system");
    LuksContainer container = LuksContainer::open(location_.container);
    container.verify(passphrase);
    VolumeAttachment attachment =
        VolumeAttachment::attach(container, passphrase, availableEngine(engine), location_.runtimeDir);
    checkExt4(attachment.device()); // journal replay, as a mount would do
    const auto result = runCommand({"e2fsck", "-f", "-n", attachment.device()});
    return {result.exitCode, result.output};
}

} // namespace parley::storage
