#include <parley/storage/data_directory_lock.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/file.h>
#include <unistd.h>
#include <utility>

namespace parley::storage {

std::optional<DataDirectoryLock> DataDirectoryLock::tryAcquire(const std::filesystem::path& dataDir, Mode mode)
{
    const auto file = fileIn(dataDir);
    // 0644: a root restore and the server's own account must both be able to open it.
    const int fd = ::open(file.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        throw std::runtime_error("cannot open the lock file " + file.string() + ": " + std::strerror(errno));
    DataDirectoryLock lock(fd);
    if (::flock(fd, (mode == Mode::Shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return std::nullopt;
        throw std::runtime_error("cannot lock " + file.string() + ": " + std::strerror(errno));
    }
    return lock;
}

DataDirectoryLock::DataDirectoryLock(DataDirectoryLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

DataDirectoryLock& DataDirectoryLock::operator=(DataDirectoryLock&& other) noexcept
{
    if (this != &other) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

DataDirectoryLock::~DataDirectoryLock()
{
    if (fd_ >= 0)
        ::close(fd_);
}

} // namespace parley::storage
