#include "ext4_filesystem.h"
#include "external_command.h"

#include <parley/volume/volume_error.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <fcntl.h>
#include <sys/mount.h>
#include <thread>
#include <unistd.h>

namespace parley::volume {

bool hasExt4Signature(const std::string& device)
{
    const int fd = ::open(device.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw VolumeError(VolumeFailure::SystemError, "cannot read " + device + ": " + std::strerror(errno));
    unsigned char magic[2] = {};
    const ssize_t got = ::pread(fd, magic, sizeof magic, 1024 + 56);
    ::close(fd);
    return got == 2 && magic[0] == 0x53 && magic[1] == 0xEF;
}

std::optional<std::uint64_t> ext4SizeBytes(const std::string& device)
{
    const int fd = ::open(device.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw VolumeError(VolumeFailure::SystemError, "cannot read " + device + ": " + std::strerror(errno));
    unsigned char super[1024] = {};
    const ssize_t got = ::pread(fd, super, sizeof super, 1024);
    ::close(fd);
    auto le32 = [&](std::size_t at) {
        return static_cast<std::uint32_t>(super[at]) | static_cast<std::uint32_t>(super[at + 1]) << 8 |
               static_cast<std::uint32_t>(super[at + 2]) << 16 | static_cast<std::uint32_t>(super[at + 3]) << 24;
    };
    if (got != static_cast<ssize_t>(sizeof super) || super[56] != 0x53 || super[57] != 0xEF)
        return std::nullopt;
    const std::uint32_t logBlockSize = le32(24); // block size = 1024 << s_log_block_size
    if (logBlockSize > 6)
        return std::nullopt;
    std::uint64_t blocks = le32(4);             // s_blocks_count_lo
    constexpr std::uint32_t kIncompat64Bit = 0x80;
    if ((le32(0x60) & kIncompat64Bit) != 0)     // s_feature_incompat
        blocks |= static_cast<std::uint64_t>(le32(0x150)) << 32; // s_blocks_count_hi
    const std::uint64_t blockSize = 1024ull << logBlockSize;
    if (blocks > std::numeric_limits<std::uint64_t>::max() / blockSize)
        return std::nullopt;
    return blocks * blockSize;
}

void makeExt4(const std::string& device, const std::string& label)
{
    const auto result = runCommand({"mkfs.ext4", "-q", "-F", "-b", "4096", "-m", "0", "-E", "nodiscard", "-L", label, device});
    if (result.exitCode != 0)
        throw VolumeError(VolumeFailure::SystemError, "mkfs.ext4 failed on " + device + ": " + result.output);
}

void checkExt4(const std::string& device)
{
    const auto result = runCommand({"e2fsck", "-p", device});
    // 0: clean; 1: errors corrected; 2: corrected, a reboot would be wise (root fs only).
    if (result.exitCode < 0 || result.exitCode >= 4)
        throw VolumeError(VolumeFailure::SystemError,
                          "the file system on the volume has errors e2fsck -p cannot fix (exit " +
                              std::to_string(result.exitCode) + "); run `e2fsck -f " + device +
                              "` by hand before unlocking again: " + result.output);
}

void mountExt4(const std::string& device, const std::filesystem::path& directory)
{
    if (::mount(device.c_str(), directory.c_str(), "ext4", MS_NOSUID | MS_NODEV | MS_NOEXEC, "errors=remount-ro") != 0)
        throw VolumeError(VolumeFailure::SystemError,
                          "cannot mount " + device + " at " + directory.string() + ": " + std::strerror(errno));
}

void unmount(const std::filesystem::path& directory)
{
    // A just-closed file or a loop device still settling can keep a mount busy for a moment.
    for (int attempt = 0;; ++attempt) {
        if (::umount2(directory.c_str(), 0) == 0)
            return;
        if (errno != EBUSY || attempt == 20)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const int error = errno;
    throw VolumeError(error == EBUSY ? VolumeFailure::InUse : VolumeFailure::SystemError,
                      "cannot unmount " + directory.string() + ": " + std::strerror(error) +
                          (error == EBUSY ? " (files are open in it: stop the server first)" : ""));
}

} // namespace parley::volume
