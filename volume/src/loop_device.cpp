#include "loop_device.h"

#include <parley/volume/volume_error.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <utility>

namespace parley::volume {

namespace {

[[noreturn]] void fail(const std::string& what)
{
    throw VolumeError(VolumeFailure::SystemError, what + ": " + std::strerror(errno));
}

} // namespace

LoopDevice::LoopDevice(std::string path, int fd)
    : path_(std::move(path)), fd_(fd)
{
}

LoopDevice::LoopDevice(LoopDevice&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1))
{
}

LoopDevice::~LoopDevice()
{
    close();
}

void LoopDevice::close()
{
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
}

LoopDevice LoopDevice::attach(const std::filesystem::path& file, unsigned blockSize)
{
    const int backing = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
    if (backing < 0)
        fail("cannot open " + file.string() + " for the loop device");
    const int control = ::open("/dev/loop-control", O_RDWR | O_CLOEXEC);
    if (control < 0) {
        const int saved = errno;
        ::close(backing);
        errno = saved;
        fail("cannot open /dev/loop-control (is the loop module loaded, and is this run as root?)");
    }
    // Another process may take the free device between GET_FREE and CONFIGURE: try again.
    for (int attempt = 0; attempt < 20; ++attempt) {
        const int number = ::ioctl(control, LOOP_CTL_GET_FREE);
        if (number < 0)
            break;
        std::string path = "/dev/loop" + std::to_string(number);
        const int device = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
        if (device < 0)
            continue;
        loop_config config{};
        config.fd = static_cast<unsigned>(backing);
        config.info.lo_flags = LO_FLAGS_AUTOCLEAR;
        config.block_size = blockSize;
        std::strncpy(reinterpret_cast<char*>(config.info.lo_file_name), file.c_str(), LO_NAME_SIZE - 1);
        if (::ioctl(device, LOOP_CONFIGURE, &config) == 0) {
            ::close(backing);
            ::close(control);
            return LoopDevice(std::move(path), device);
        }
        const int saved = errno;
        ::close(device);
        if (saved != EBUSY) {
            ::close(backing);
            ::close(control);
            errno = saved;
            fail("cannot attach " + path + " to " + file.string());
        }
    }
    const int saved = errno;
    ::close(backing);
    ::close(control);
    errno = saved;
    fail("no free loop device for " + file.string());
}

} // namespace parley::volume
