#include <parley/storage/recording_directory.h>
#include <parley/storage/volume_error.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace parley::storage {

namespace {

std::vector<std::string> checkedParts(const std::string& relativePath)
{
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= relativePath.size()) {
        const std::size_t end = std::min(relativePath.find('/', start), relativePath.size());
        const std::string part = relativePath.substr(start, end - start);
        const bool allowed = !part.empty() && part != "." && part != ".." && part.size() <= 255 &&
                             part.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                    "0123456789._-") == std::string::npos;
        if (!allowed)
            throw std::invalid_argument("'" + relativePath + "' is not a plain relative path inside the volume");
        parts.push_back(part);
        start = end + 1;
    }
    return parts;
}

} // namespace

FileHandle::~FileHandle()
{
    if (fd_ >= 0)
        ::close(fd_);
}

int FileHandle::release()
{
    return std::exchange(fd_, -1);
}

RecordingDirectory::RecordingDirectory(int fd, MountedVolume volume)
    : fd_(fd), volume_(std::move(volume))
{
}

RecordingDirectory::RecordingDirectory(RecordingDirectory&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), volume_(std::move(other.volume_))
{
}

RecordingDirectory::~RecordingDirectory()
{
    if (fd_ >= 0)
        ::close(fd_);
}

RecordingDirectory RecordingDirectory::open(const std::filesystem::path& mountPoint)
{
    MountedVolume volume = requireUnlockedVolume(mountPoint);
    const int fd = ::open(mountPoint.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        throw VolumeError(VolumeFailure::NotUnlocked,
                          "cannot open the recording volume at " + mountPoint.string() + ": " + std::strerror(errno));
    // The check above read the mount table; this is the same file system only if the
    // directory now open is on the device the table named (nothing changed in between).
    struct stat status{};
    const std::string number = volume.deviceNumber;
    const auto colon = number.find(':');
    const bool same = ::fstat(fd, &status) == 0 && colon != std::string::npos &&
                      major(status.st_dev) == std::stoul(number.substr(0, colon)) &&
                      minor(status.st_dev) == std::stoul(number.substr(colon + 1));
    if (!same) {
        ::close(fd);
        throw VolumeError(VolumeFailure::NotUnlocked,
                          "the recording volume at " + mountPoint.string() + " changed while it was being opened");
    }
    return RecordingDirectory(fd, std::move(volume));
}

FileHandle RecordingDirectory::createFile(const std::string& relativePath) const
{
    const auto parts = checkedParts(relativePath);
    int directory = ::dup(fd_);
    if (directory < 0)
        throw VolumeError(VolumeFailure::SystemError, std::string("cannot use the volume: ") + std::strerror(errno));
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        if (::mkdirat(directory, parts[i].c_str(), 0700) != 0 && errno != EEXIST) {
            const int error = errno;
            ::close(directory);
            throw VolumeError(VolumeFailure::SystemError,
                              "cannot create " + parts[i] + " in the recording volume: " + std::strerror(error));
        }
        const int next = ::openat(directory, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        const int error = errno;
        ::close(directory);
        if (next < 0)
            throw VolumeError(VolumeFailure::SystemError,
                              "cannot open " + parts[i] + " in the recording volume: " + std::strerror(error));
        directory = next;
    }
    const int file = ::openat(directory, parts.back().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                              0600);
    const int error = errno;
    ::close(directory);
    if (file < 0)
        throw VolumeError(error == EEXIST ? VolumeFailure::InUse : VolumeFailure::SystemError,
                          "cannot create " + relativePath + " in the recording volume: " + std::strerror(error));
    return FileHandle(file);
}

} // namespace parley::storage
