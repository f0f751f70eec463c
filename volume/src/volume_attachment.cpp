#include "volume_attachment.h"
#include "block_file_process.h"
#include "block_file_server.h"

#include <parley/volume/volume_error.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <sys/mount.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <utility>

namespace parley::volume {

namespace {

using namespace std::chrono_literals;

bool waitUntil(const std::function<bool()>& done, std::chrono::milliseconds limit)
{
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

/// The runtime directory, created mode 0700 if missing. An existing one is used as it is
/// (never chmod-ed: a mistaken setting such as /run must not change /run), but it must be
/// a real directory of root's that nobody else can write to.
void prepareRuntimeDirectory(const std::filesystem::path& runtimeDir)
{
    if (::mkdir(runtimeDir.c_str(), 0700) != 0 && errno == ENOENT) {
        std::filesystem::create_directories(runtimeDir.parent_path());
        ::mkdir(runtimeDir.c_str(), 0700);
    }
    struct stat status{};
    if (::lstat(runtimeDir.c_str(), &status) != 0 || !S_ISDIR(status.st_mode) || status.st_uid != 0 ||
        (status.st_mode & 022) != 0)
        throw VolumeError(VolumeFailure::SystemError,
                          "volume.runtime_dir " + runtimeDir.string() +
                              " must be a directory owned by root that only root can write to");
}

} // namespace

std::filesystem::path fuseDirectory(const std::filesystem::path& runtimeDir, const std::string& uuid)
{
    return runtimeDir / ("fuse-" + uuid);
}

std::filesystem::path fusePidFile(const std::filesystem::path& runtimeDir, const std::string& uuid)
{
    return runtimeDir / ("fuse-" + uuid + ".pid");
}

std::string mappingName(const std::string& uuid)
{
    return "parley-" + uuid;
}

pid_t runningEngine(const std::filesystem::path& runtimeDir, const std::string& uuid)
{
    return runningBlockFileProcess(fusePidFile(runtimeDir, uuid)).pid;
}

bool stopBlockFileProcess(const std::filesystem::path& runtimeDir, const std::string& uuid)
{
    const auto directory = fuseDirectory(runtimeDir, uuid);
    const pid_t pid = runningEngine(runtimeDir, uuid);
    // The loop device lets go of the block file a moment after the last mount on it went
    // away (autoclear runs in the kernel's own time): until then the FUSE mount is busy.
    const bool unmounted = waitUntil(
        [&] {
            if (::umount2(directory.c_str(), 0) == 0 || errno == EINVAL || errno == ENOENT)
                return true;
            // A FUSE mount whose process died answers every access with ENOTCONN; detaching
            // it lazily is all that can be done, and safe: nothing can use it any more.
            struct stat status{};
            return ::stat(directory.c_str(), &status) != 0 && errno == ENOTCONN &&
                   ::umount2(directory.c_str(), MNT_DETACH) == 0;
        },
        10s);
    if (!unmounted)
        return false;
    // The engine exits when its file system goes away; only that very process (checked by
    // its start time) is ever signalled.
    if (pid != 0 && !waitUntil([&] { return runningEngine(runtimeDir, uuid) == 0; }, 10s) &&
        runningEngine(runtimeDir, uuid) == pid)
        ::kill(pid, SIGKILL);
    std::error_code ignored;
    std::filesystem::remove(directory, ignored);
    std::filesystem::remove(fusePidFile(runtimeDir, uuid), ignored);
    return true;
}

VolumeAttachment VolumeAttachment::attach(LuksContainer& container, SecretBytes volumeKey,
                                          VolumeEngine engine, const std::filesystem::path& runtimeDir)
{
    const ContainerInfo info = container.info();
    // One engine at a time: two would write the same sectors with nothing in common.
    const bool mapped = std::filesystem::exists("/dev/mapper/" + mappingName(info.uuid));
    const bool served = runningEngine(runtimeDir, info.uuid) != 0;
    if (mapped || served)
        throw VolumeError(VolumeFailure::InUse, "volume " + info.uuid + " is open already (" +
                                                    (mapped ? "dm-crypt mapping" : "userspace engine") +
                                                    "); lock it first (`parleyctl volume lock`)");
    VolumeAttachment attachment;
    attachment.engine_ = engine;
    if (engine == VolumeEngine::Kernel) {
        attachment.mappingName_ = mappingName(info.uuid);
        container.activate(attachment.mappingName_, volumeKey);
        attachment.device_ = "/dev/mapper/" + attachment.mappingName_;
        return attachment;
    }
    SecretBytes key = std::move(volumeKey);
    prepareRuntimeDirectory(runtimeDir);
    // Left over from an engine that was killed: clear it before mounting again.
    stopBlockFileProcess(runtimeDir, info.uuid);
    attachment.fuseDir_ = fuseDirectory(runtimeDir, info.uuid);
    attachment.pidFile_ = fusePidFile(runtimeDir, info.uuid);
    if (::mkdir(attachment.fuseDir_.c_str(), 0700) != 0 && errno != EEXIST)
        throw VolumeError(VolumeFailure::SystemError,
                          "cannot create " + attachment.fuseDir_.string() + ": " + std::strerror(errno));
    const int containerFd = ::open(container.file().c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (containerFd < 0)
        throw VolumeError(VolumeFailure::SystemError,
                          "cannot open " + container.file().string() + ": " + std::strerror(errno));
    try {
        startBlockFileProcess(containerFd, info, std::move(key), attachment.fuseDir_, attachment.pidFile_);
    }
    catch (...) {
        ::close(containerFd);
        throw;
    }
    ::close(containerFd);
    try {
        attachment.loop_.emplace(LoopDevice::attach(attachment.fuseDir_ / kBlockFileName, info.sectorSize));
    }
    catch (...) {
        attachment.takeDown();
        throw;
    }
    attachment.device_ = attachment.loop_->path();
    return attachment;
}

VolumeAttachment::VolumeAttachment(VolumeAttachment&& other) noexcept
    : engine_(other.engine_),
      device_(std::move(other.device_)),
      mappingName_(std::move(other.mappingName_)),
      loop_(std::move(other.loop_)),
      fuseDir_(std::move(other.fuseDir_)),
      pidFile_(std::move(other.pidFile_)),
      released_(std::exchange(other.released_, true))
{
    other.loop_.reset();
}

VolumeAttachment::~VolumeAttachment()
{
    if (!released_)
        takeDown();
}

void VolumeAttachment::release()
{
    if (loop_)
        loop_->close(); // the mount now holds the loop device; autoclear follows its unmount
    released_ = true;
}

void VolumeAttachment::takeDown() noexcept
{
    released_ = true;
    try {
        if (engine_ == VolumeEngine::Kernel && !mappingName_.empty()) {
            for (int attempt = 0; attempt < 50; ++attempt) {
                try {
                    LuksContainer::deactivate(mappingName_);
                    break;
                }
                catch (const VolumeError& e) {
                    if (e.failure() != VolumeFailure::InUse)
                        break;
                    std::this_thread::sleep_for(100ms);
                }
            }
            return;
        }
        if (loop_)
            loop_->close();
        loop_.reset();
        if (!fuseDir_.empty())
            stopBlockFileProcess(fuseDir_.parent_path(), fuseDir_.filename().string().substr(5));
    }
    catch (const std::exception&) {
        // Taking down after another failure: that first failure is the one to report.
    }
}

} // namespace parley::volume
