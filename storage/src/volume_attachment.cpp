#include "volume_attachment.h"
#include "block_file_process.h"
#include "block_file_server.h"

#include <parley/storage/volume_error.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <sys/mount.h>
#include <thread>
#include <utility>

namespace parley::storage {

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

pid_t runningBlockFileProcess(const std::filesystem::path& runtimeDir, const std::string& uuid)
{
    std::ifstream in(fusePidFile(runtimeDir, uuid));
    long pid = 0;
    if (!(in >> pid) || pid <= 1)
        return 0;
    return ::kill(static_cast<pid_t>(pid), 0) == 0 ? static_cast<pid_t>(pid) : 0;
}

bool stopBlockFileProcess(const std::filesystem::path& runtimeDir, const std::string& uuid)
{
    const auto directory = fuseDirectory(runtimeDir, uuid);
    const pid_t pid = runningBlockFileProcess(runtimeDir, uuid);
    // The loop device lets go of the block file a moment after the last mount on it went
    // away (autoclear runs in the kernel's own time): until then the FUSE mount is busy.
    bool unmounted = waitUntil(
        [&] {
            if (::umount2(directory.c_str(), 0) == 0 || errno == EINVAL || errno == ENOENT)
                return true;
            // A FUSE process that died leaves a mount whose every access fails; detaching
            // it lazily is all that can be done, and is safe: nothing can use it.
            return pid == 0 && ::umount2(directory.c_str(), MNT_DETACH) == 0;
        },
        10s);
    if (!unmounted)
        return false;
    if (pid != 0 && !waitUntil([&] { return ::kill(pid, 0) != 0; }, 10s))
        ::kill(pid, SIGKILL); // unmounted yet still running: nothing left for it to serve
    std::error_code ignored;
    std::filesystem::remove(directory, ignored);
    std::filesystem::remove(fusePidFile(runtimeDir, uuid), ignored);
    return true;
}

VolumeAttachment VolumeAttachment::attach(LuksContainer& container, std::string_view passphrase,
                                          VolumeEngine engine, const std::filesystem::path& runtimeDir)
{
    const ContainerInfo info = container.info();
    VolumeAttachment attachment;
    attachment.engine_ = engine;
    if (engine == VolumeEngine::Kernel) {
        attachment.mappingName_ = mappingName(info.uuid);
        container.activate(attachment.mappingName_, passphrase);
        attachment.device_ = "/dev/mapper/" + attachment.mappingName_;
        return attachment;
    }
    SecretBytes key = container.volumeKey(passphrase);
    if (runningBlockFileProcess(runtimeDir, info.uuid) != 0)
        throw VolumeError(VolumeFailure::InUse, "the userspace engine already serves volume " + info.uuid +
                                                    "; lock it first (`parleyctl volume lock`)");
    // Left over from a FUSE process that was killed: clear it before mounting again.
    stopBlockFileProcess(runtimeDir, info.uuid);
    attachment.fuseDir_ = fuseDirectory(runtimeDir, info.uuid);
    attachment.pidFile_ = fusePidFile(runtimeDir, info.uuid);
    std::filesystem::create_directories(runtimeDir);
    std::filesystem::permissions(runtimeDir, std::filesystem::perms::owner_all);
    std::filesystem::create_directories(attachment.fuseDir_);
    startBlockFileProcess(container, std::move(key), attachment.fuseDir_, attachment.pidFile_);
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

} // namespace parley::storage
