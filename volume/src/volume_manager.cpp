#include "container_geometry.h"
#include "engine_probe.h"
#include "ext4_filesystem.h"
#include "external_command.h"
#include "mount_table.h"
#include "volume_attachment.h"

#include <parley/volume/volume_error.h>
#include <parley/volume/volume_manager.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/sysmacros.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace parley::volume {

namespace {

using namespace std::chrono_literals;

/// A directory another account cannot change: root's, and not writable by group or others
/// unless sticky (like /tmp, where nobody may rename root's entries).
void requireRootDirectory(const std::filesystem::path& directory, const std::filesystem::path& forPath)
{
    struct stat status{};
    if (::stat(directory.c_str(), &status) != 0)
        throw VolumeError(VolumeFailure::SystemError,
                          "cannot check " + directory.string() + ": " + std::strerror(errno));
    const bool writableByOthers = (status.st_mode & 022) != 0 && (status.st_mode & S_ISVTX) == 0;
    if (!S_ISDIR(status.st_mode) || status.st_uid != 0 || writableByOthers)
        throw VolumeError(VolumeFailure::SystemError,
                          forPath.string() + " is in " + directory.string() +
                              ", which an account other than root can change (owner " +
                              std::to_string(status.st_uid) +
                              "); keep volumes and their mount points in root's directories, outside the "
                              "server's data directory");
}

/// Volume commands on one container never run at the same time. The lock is taken on the
/// container's directory: libcryptsetup takes its own flock on the container file, which a
/// second lock there would wait for forever.
class OperationLock
{
public:
    explicit OperationLock(const std::filesystem::path& container)
        : fd_(::open(std::filesystem::absolute(container).parent_path().c_str(),
                     O_RDONLY | O_DIRECTORY | O_CLOEXEC))
    {
        if (fd_ < 0)
            throw VolumeError(VolumeFailure::SystemError,
                              "cannot open the directory of " + container.string() + ": " + std::strerror(errno));
        if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            ::close(fd_);
            throw VolumeError(VolumeFailure::InUse, "another command is working on " + container.string() +
                                                        " right now; try again when it has finished");
        }
    }
    ~OperationLock() { ::close(fd_); }
    OperationLock(const OperationLock&) = delete;
    OperationLock& operator=(const OperationLock&) = delete;

private:
    int fd_;
};

void requireParleyLabel(const LuksContainer& container, const ContainerInfo& info)
{
    if (info.label != kParleyVolumeLabel)
        throw VolumeError(VolumeFailure::NotAVolume,
                          container.file().string() + " is a LUKS2 container but not a Parley volume (label '" +
                              info.label + "'); create volumes with `parleyctl volume create`, or make one you "
                                           "formatted with cryptsetup a Parley volume with `parleyctl volume adopt`");
}

/// The first line of `name` in `directory`, without following a symbolic link (the volume's
/// root belongs to the server's account, which could plant one).
std::string readMarker(const std::filesystem::path& directory)
{
    const int fd = ::open((directory / kVolumeMarkerFile).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return {};
    char buffer[128] = {};
    const ssize_t got = ::read(fd, buffer, sizeof buffer - 1);
    ::close(fd);
    std::string line(buffer, got > 0 ? static_cast<std::size_t>(got) : 0);
    return line.substr(0, line.find('\n'));
}

void writeMarker(const std::filesystem::path& mountPoint, const std::string& uuid)
{
    const auto marker = mountPoint / kVolumeMarkerFile;
    const std::string existing = readMarker(mountPoint);
    if (existing == "parley-volume " + uuid) {
        // Volumes marked before the mode was set explicitly may be root's only (0400).
        if (::chmod(marker.c_str(), 0444) != 0)
            throw VolumeError(VolumeFailure::SystemError, "cannot make " + marker.string() + " readable");
        return;
    }
    if (!existing.empty())
        throw VolumeError(VolumeFailure::NotAVolume, "the file system of volume " + uuid + " is marked as '" +
                                                         existing + "': was its header replaced by another volume's?");
    std::error_code ignored;
    std::filesystem::remove(marker, ignored); // a symbolic link or junk, never followed
    const int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
    const std::string line = "parley-volume " + uuid + "\n";
    // Readable by the server's own account (the package runs parleyd as `parley`), whatever
    // the umask of the root process that unlocks: parleyd reads it to accept the volume.
    const bool written = fd >= 0 && ::fchmod(fd, 0444) == 0 &&
                         ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                         ::fsync(fd) == 0;
    if (fd >= 0)
        ::close(fd);
    if (!written)
        throw VolumeError(VolumeFailure::SystemError, "cannot write " + marker.string());
}

std::string uuidFromMarker(const std::filesystem::path& mountPoint)
{
    const std::string marker = readMarker(mountPoint);
    return marker.starts_with("parley-volume ") ? marker.substr(14) : std::string();
}

/// Why the container is open outside Parley (a loop device on the file, as `cryptsetup open`
/// attaches one, or a holder of the block device such as a dm-crypt mapping), or "".
std::string openElsewhere(const std::filesystem::path& container)
{
    std::error_code error;
    const auto canonical = std::filesystem::canonical(container, error);
    if (error)
        return {};
    struct stat status{};
    if (::stat(canonical.c_str(), &status) == 0 && S_ISBLK(status.st_mode)) {
        const std::filesystem::path holders = "/sys/dev/block/" + std::to_string(major(status.st_rdev)) + ":" +
                                              std::to_string(minor(status.st_rdev)) + "/holders";
        for (const auto& holder : std::filesystem::directory_iterator(holders, error))
            return holder.path().filename().string() + " holds it";
        return {};
    }
    for (const auto& device : std::filesystem::directory_iterator("/sys/block", error)) {
        std::ifstream in(device.path() / "loop" / "backing_file");
        std::string backing;
        if (std::getline(in, backing) && backing == canonical.string())
            return "/dev/" + device.path().filename().string() + " is attached to it";
    }
    return {};
}

} // namespace

void requireProtectedPath(const std::filesystem::path& path, bool includingItself)
{
    // Every directory on the way, as written and as resolved: a symbolic link is only as
    // safe as the directory holding it, and a directory only as safe as its parents.
    const auto lexical = std::filesystem::absolute(path).lexically_normal();
    for (auto parent = lexical.parent_path(); ; parent = parent.parent_path()) {
        requireRootDirectory(parent, path);
        if (parent == parent.root_path())
            break;
    }
    const auto resolved = std::filesystem::weakly_canonical(lexical);
    for (auto parent = resolved.parent_path(); ; parent = parent.parent_path()) {
        requireRootDirectory(parent, path);
        if (parent == parent.root_path())
            break;
    }
    struct stat status{};
    if (includingItself && ::lstat(resolved.c_str(), &status) == 0 &&
        (status.st_uid != 0 || (status.st_mode & 022) != 0))
        throw VolumeError(VolumeFailure::SystemError,
                          path.string() + " must be owned by root and writable by nobody else (owner " +
                              std::to_string(status.st_uid) + ")");
}

VolumeManager::VolumeManager(VolumeLocation location)
    : location_(std::move(location))
{
}

EngineChoice VolumeManager::engineFor(VolumeEngine requested)
{
    return chooseEngine(requested, probeEngines());
}

LuksContainer VolumeManager::create(std::string_view passphrase, const ContainerOptions& options) const
{
    const auto parent = std::filesystem::absolute(location_.container).parent_path();
    if (!std::filesystem::exists(parent)) {
        // Root's, and traversable: the server reaches the mount point beside the container.
        std::filesystem::create_directories(parent);
        std::filesystem::permissions(parent, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                                 std::filesystem::perms::group_exec |
                                                 std::filesystem::perms::others_read |
                                                 std::filesystem::perms::others_exec);
    }
    requireProtectedPath(location_.container);
    return LuksContainer::create(location_.container, passphrase, options);
}

MountedVolume VolumeManager::unlock(std::string_view passphrase, const UnlockOptions& options) const
{
    requireProtectedPath(location_.container);
    requireProtectedPath(location_.mountPoint, false); // its root may be the server's once mounted
    OperationLock operation(location_.container);
    std::string whyNot;
    if (inspectVolume(location_.mountPoint, whyNot))
        throw VolumeError(VolumeFailure::InUse, "the volume at " + location_.mountPoint.string() + " is unlocked already");
    if (findMount(readMountTable(), location_.mountPoint))
        throw VolumeError(VolumeFailure::InUse, "something else is mounted at " + location_.mountPoint.string() +
                                                    ": " + whyNot);
    LuksContainer container = LuksContainer::open(location_.container);
    const ContainerInfo info = container.info();
    requireParleyLabel(container, info);
    if (const auto problem = containerSizeProblem(info, location_.container); !problem.empty())
        throw VolumeError(VolumeFailure::NotAVolume, problem);
    const VolumeEngine engine = availableEngine(options.engine);
    // The one key derivation of this unlock; a wrong passphrase is reported here, before
    // anything is set up.
    SecretBytes volumeKey = container.volumeKey(passphrase);

    VolumeAttachment attachment =
        VolumeAttachment::attach(container, std::move(volumeKey), engine, location_.runtimeDir);
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
    else if (const auto problem = containerSizeProblem(info, location_.container, device); !problem.empty())
        throw VolumeError(VolumeFailure::NotAVolume, problem);
    checkExt4(device);
    // The parent is root's (checked above), so nobody can swap the directory for a link.
    if (::mkdir(location_.mountPoint.c_str(), 0700) != 0 && errno != EEXIST)
        throw VolumeError(VolumeFailure::SystemError,
                          "cannot create " + location_.mountPoint.string() + ": " + std::strerror(errno));
    struct stat status{};
    if (::lstat(location_.mountPoint.c_str(), &status) != 0 || !S_ISDIR(status.st_mode))
        throw VolumeError(VolumeFailure::SystemError, location_.mountPoint.string() + " is not a directory");
    mountExt4(device, location_.mountPoint);
    try {
        writeMarker(location_.mountPoint, info.uuid);
        if (options.ownerUid) {
            if (::chown(location_.mountPoint.c_str(), *options.ownerUid, options.ownerGid.value_or(0)) != 0 ||
                ::chmod(location_.mountPoint.c_str(), 0700) != 0)
                throw VolumeError(VolumeFailure::SystemError,
                                  "cannot give " + location_.mountPoint.string() + " to the server's account");
        }
        MountedVolume mounted = requireUnlockedVolume(location_.mountPoint);
        attachment.release();
        return mounted;
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

AdoptResult VolumeManager::adopt(std::string_view passphrase, const AdoptOptions& options) const
{
    requireProtectedPath(location_.container);
    requireProtectedPath(location_.mountPoint, false);
    OperationLock operation(location_.container);
    std::string whyNot;
    if (inspectVolume(location_.mountPoint, whyNot))
        throw VolumeError(VolumeFailure::InUse, "a volume is unlocked at " + location_.mountPoint.string() +
                                                    "; lock it (`parleyctl volume lock`) before adopting one");
    LuksContainer container = LuksContainer::open(location_.container);
    const ContainerInfo info = container.info();
    const std::string& file = location_.container.string();
    if (info.label == kParleyVolumeLabel)
        throw VolumeError(VolumeFailure::InUse,
                          file + " is a Parley volume already; unlock it with `parleyctl volume unlock`");
    if (const auto user = openElsewhere(location_.container); !user.empty())
        throw VolumeError(VolumeFailure::InUse, file + " is open (" + user +
                                                    "): unmount it and close it (`cryptsetup close NAME`, or "
                                                    "`losetup -d`) before adopting it");
    // The userspace engine reads aes-xts-plain64 only; a volume must open with both engines.
    if (info.cipher != "aes-xts-plain64")
        throw VolumeError(VolumeFailure::NotAVolume,
                          file + " uses the cipher " + info.cipher +
                              "; Parley volumes are aes-xts-plain64 (re-encrypt it with `cryptsetup reencrypt "
                              "--cipher aes-xts-plain64 --key-size 512`, or copy the data into a volume made with "
                              "`parleyctl volume create`)");
    if (const auto problem = containerSizeProblem(info, location_.container); !problem.empty())
        throw VolumeError(VolumeFailure::NotAVolume, problem);

    AdoptResult result;
    result.engine = availableEngine(options.engine);
    SecretBytes volumeKey = container.volumeKey(passphrase);
    VolumeAttachment attachment =
        VolumeAttachment::attach(container, std::move(volumeKey), result.engine, location_.runtimeDir);
    const std::string& device = attachment.device();
    if (hasExt4Signature(device)) {
        if (options.format)
            throw VolumeError(VolumeFailure::InUse,
                              file + " holds an ext4 file system already; run `parleyctl volume adopt` without "
                                     "--format to keep it (nothing was changed)");
        if (const auto problem = containerSizeProblem(info, location_.container, device); !problem.empty())
            throw VolumeError(VolumeFailure::NotAVolume, problem);
        checkExt4(device);
    }
    else {
        const auto probe = runCommand({"blkid", "-p", "-s", "TYPE", "-o", "value", device});
        std::string content = probe.exitCode == 0 ? probe.output : std::string();
        while (!content.empty() && (content.back() == '\n' || content.back() == ' '))
            content.pop_back();
        if (!options.format)
            throw VolumeError(VolumeFailure::NotAVolume,
                              file + " holds " +
                                  (content.empty() ? "no file system" : "data of type '" + content + "' (blkid)") +
                                  ", and Parley records into ext4 only (nothing was changed). Copy out anything you "
                                  "need; then `parleyctl volume adopt --format` makes an ext4 file system in it, "
                                  "erasing what it holds");
        makeExt4(device, "parley");
        result.formatted = true;
        result.previousContent = content;
    }
    result.previousLabel = info.label;
    container.setLabels(std::string(kParleyVolumeLabel), std::string(kSubsystemExt4));
    result.info = container.info();
    return result;
}

bool VolumeManager::lock() const
{
    requireProtectedPath(location_.container);
    OperationLock operation(location_.container);
    // The UUID names the mapping and the engine's files. From the header, or, if that was
    // damaged while the volume was open, from the marker of the mounted file system.
    std::string uuid;
    try {
        uuid = LuksContainer::open(location_.container).info().uuid;
    }
    catch (const VolumeError&) {
        uuid = uuidFromMarker(location_.mountPoint);
        if (uuid.empty())
            throw;
    }
    const auto table = readMountTable();
    bool changed = false;
    if (findMount(table, location_.mountPoint)) {
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
    if (runningEngine(location_.runtimeDir, uuid) != 0 || findMount(table, fuseDir)) {
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
        status.enginePid = runningEngine(location_.runtimeDir, status.header->uuid);
    }
    catch (const VolumeError& e) {
        status.headerProblem = e.what();
    }
    status.mounted = inspectVolume(location_.mountPoint, status.lockedReason);
    return status;
}

FilesystemCheck VolumeManager::checkFilesystem(std::string_view passphrase, VolumeEngine engine) const
{
    requireProtectedPath(location_.container);
    OperationLock operation(location_.container);
    std::string whyNot;
    if (inspectVolume(location_.mountPoint, whyNot))
        throw VolumeError(VolumeFailure::InUse, "lock the volume before checking its file system");
    LuksContainer container = LuksContainer::open(location_.container);
    const ContainerInfo info = container.info();
    FilesystemCheck check;
    // The sizes first: e2fsck -n answers "no" when the device is smaller than the file
    // system and exits 0, and e2fsck -p must not touch a container cut short.
    check.sizeProblem = containerSizeProblem(info, location_.container);
    const VolumeEngine resolved = availableEngine(engine);
    SecretBytes volumeKey = container.volumeKey(passphrase);
    if (!check.sizeProblem.empty()) {
        check.preenExitCode = check.exitCode = -1;
        return check;
    }
    VolumeAttachment attachment =
        VolumeAttachment::attach(container, std::move(volumeKey), resolved, location_.runtimeDir);
    check.sizeProblem = containerSizeProblem(info, location_.container, attachment.device());
    if (!check.sizeProblem.empty()) {
        check.preenExitCode = check.exitCode = -1;
        return check;
    }
    // First what a mount would do (replay the journal), then the full read-only check.
    const auto replay = runCommand({"e2fsck", "-p", attachment.device()});
    check.preenExitCode = replay.exitCode;
    check.preenOutput = replay.output;
    const auto result = runCommand({"e2fsck", "-f", "-n", attachment.device()});
    check.exitCode = result.exitCode;
    check.output = result.output;
    return check;
}

} // namespace parley::volume
