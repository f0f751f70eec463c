#include <parley/volume/recording_directory.h>
#include <parley/volume/volume_error.h>

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <stdexcept>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace parley::volume {

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

FileHandle& FileHandle::operator=(FileHandle&& other) noexcept
{
    if (this != &other) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = other.release();
    }
    return *this;
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

std::uint64_t RecordingDirectory::freeBytes() const
{
    struct statvfs space{};
    if (::fstatvfs(fd_, &space) != 0)
        throw VolumeError(VolumeFailure::SystemError,
                          std::string("cannot read the free space of the recording volume: ") + std::strerror(errno));
    return static_cast<std::uint64_t>(space.f_bavail) * space.f_frsize;
}

FileHandle RecordingDirectory::openParent(const std::vector<std::string>& parts, bool create) const
{
    FileHandle directory(::dup(fd_));
    if (directory.get() < 0)
        throw VolumeError(VolumeFailure::SystemError, std::string("cannot use the volume: ") + std::strerror(errno));
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        if (create && ::mkdirat(directory.get(), parts[i].c_str(), 0700) != 0 && errno != EEXIST)
            throw VolumeError(VolumeFailure::SystemError,
                              "cannot create " + parts[i] + " in the recording volume: " + std::strerror(errno));
        FileHandle next(::openat(directory.get(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (next.get() < 0)
            throw VolumeError(errno == ENOENT ? VolumeFailure::NotFound : VolumeFailure::SystemError,
                              "cannot open " + parts[i] + " in the recording volume: " + std::strerror(errno));
        directory = std::move(next);
    }
    return directory;
}

FileHandle RecordingDirectory::createFile(const std::string& relativePath) const
{
    const auto parts = checkedParts(relativePath);
    const auto directory = openParent(parts, true);
    FileHandle file(::openat(directory.get(), parts.back().c_str(),
                             O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (file.get() < 0)
        throw VolumeError(errno == EEXIST ? VolumeFailure::InUse : VolumeFailure::SystemError,
                          "cannot create " + relativePath + " in the recording volume: " + std::strerror(errno));
    return file;
}

FileHandle RecordingDirectory::openFile(const std::string& relativePath) const
{
    const auto parts = checkedParts(relativePath);
    const auto directory = openParent(parts, false);
    FileHandle file(::openat(directory.get(), parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (file.get() < 0)
        throw VolumeError(errno == ENOENT ? VolumeFailure::NotFound : VolumeFailure::SystemError,
                          "cannot open " + relativePath + " in the recording volume: " + std::strerror(errno));
    struct stat status{};
    if (::fstat(file.get(), &status) != 0 || !S_ISREG(status.st_mode))
        throw VolumeError(VolumeFailure::SystemError, relativePath + " in the recording volume is not a file");
    return file;
}

void RecordingDirectory::renameFile(const std::string& from, const std::string& to) const
{
    const auto fromParts = checkedParts(from);
    const auto toParts = checkedParts(to);
    if (std::vector(fromParts.begin(), fromParts.end() - 1) != std::vector(toParts.begin(), toParts.end() - 1))
        throw std::invalid_argument("'" + from + "' and '" + to + "' are not in one directory");
    const auto directory = openParent(fromParts, false);
    if (::renameat(directory.get(), fromParts.back().c_str(), directory.get(), toParts.back().c_str()) != 0)
        throw VolumeError(errno == ENOENT ? VolumeFailure::NotFound : VolumeFailure::SystemError,
                          "cannot rename " + from + " in the recording volume: " + std::strerror(errno));
    if (::fsync(directory.get()) != 0)
        throw VolumeError(VolumeFailure::SystemError,
                          "cannot sync the recording volume after renaming " + from + ": " + std::strerror(errno));
}

bool RecordingDirectory::removeFile(const std::string& relativePath) const
{
    const auto parts = checkedParts(relativePath);
    try {
        const auto directory = openParent(parts, false);
        if (::unlinkat(directory.get(), parts.back().c_str(), 0) == 0)
            return true;
        if (errno == ENOENT)
            return false;
        throw VolumeError(VolumeFailure::SystemError,
                          "cannot remove " + relativePath + " from the recording volume: " + std::strerror(errno));
    }
    catch (const VolumeError& e) {
        if (e.failure() == VolumeFailure::NotFound)
            return false;
        throw;
    }
}

std::optional<RecordingDirectory::Listing> RecordingDirectory::list(const std::string& relativePath) const
{
    const auto parts = checkedParts(relativePath);
    Listing listing{FileHandle(-1), FileHandle(-1), parts.back(), {}};
    try {
        listing.parent = openParent(parts, false);
    }
    catch (const VolumeError& e) {
        if (e.failure() == VolumeFailure::NotFound)
            return std::nullopt;
        throw;
    }
    listing.directory = FileHandle(
        ::openat(listing.parent.get(), parts.back().c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (listing.directory.get() < 0) {
        if (errno == ENOENT)
            return std::nullopt;
        throw VolumeError(VolumeFailure::SystemError,
                          "cannot open " + relativePath + " in the recording volume: " + std::strerror(errno));
    }
    // readdir on a duplicate, so the listing's own descriptor stays usable for unlinkat.
    const int copy = ::dup(listing.directory.get());
    DIR* stream = copy >= 0 ? ::fdopendir(copy) : nullptr;
    if (!stream) {
        if (copy >= 0)
            ::close(copy);
        throw VolumeError(VolumeFailure::SystemError, "cannot list " + relativePath + ": " + std::strerror(errno));
    }
    while (const dirent* entry = ::readdir(stream)) {
        const std::string name = entry->d_name;
        if (name != "." && name != "..")
            listing.entries.push_back({name, entry->d_type == DT_REG});
    }
    ::closedir(stream);
    std::sort(listing.entries.begin(), listing.entries.end(),
              [](const Entry& a, const Entry& b) { return a.name < b.name; });
    return listing;
}

std::vector<std::string> RecordingDirectory::listFiles(const std::string& relativePath) const
{
    std::vector<std::string> names;
    if (const auto listing = list(relativePath))
        for (const auto& entry : listing->entries)
            if (entry.regularFile)
                names.push_back(entry.name);
    return names;
}

bool RecordingDirectory::removeDirectory(const std::string& relativePath) const
{
    const auto listing = list(relativePath);
    if (!listing)
        return false;
    for (const auto& entry : listing->entries)
        if (::unlinkat(listing->directory.get(), entry.name.c_str(), 0) != 0 && errno != ENOENT)
            throw VolumeError(VolumeFailure::SystemError, "cannot remove " + relativePath + "/" + entry.name +
                                                              " from the recording volume: " + std::strerror(errno));
    if (::unlinkat(listing->parent.get(), listing->name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
        throw VolumeError(VolumeFailure::SystemError,
                          "cannot remove " + relativePath + " from the recording volume: " + std::strerror(errno));
    ::fsync(listing->parent.get());
    return true;
}

} // namespace parley::volume
