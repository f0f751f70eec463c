#pragma once

#include <filesystem>
#include <string>

namespace parley::volume {

/// A loop device attached to a file, with autoclear: the kernel detaches it when the last
/// user (this object, then the mount on it) lets go, so no loop device outlives its mount.
class LoopDevice
{
public:
    /// Attaches a free loop device to `file` with logical block size `blockSize` (512 to
    /// 4096: the volume's encryption sector, so the device looks as dm-crypt's would).
    /// Throws VolumeError(SystemError) naming the cause.
    static LoopDevice attach(const std::filesystem::path& file, unsigned blockSize);

    ~LoopDevice();
    LoopDevice(LoopDevice&& other) noexcept;
    LoopDevice& operator=(LoopDevice&&) = delete;
    LoopDevice(const LoopDevice&) = delete;

    const std::string& path() const { return path_; }

    /// Lets go of the device; with a mount on it, the mount keeps it attached.
    void close();

private:
    LoopDevice(std::string path, int fd);

    std::string path_;
    int fd_ = -1;
};

} // namespace parley::volume
