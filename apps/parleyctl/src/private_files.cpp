#include "private_files.h"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

namespace parley::parleyctl {
namespace {

namespace fs = std::filesystem;

std::string describe(int error) { return std::strerror(error); }

/// Opens each directory of `relative` below `directory`, refusing links; returns the last
/// one (or a copy of `directory` when there is none) and leaves the file name in `name`.
volume::FileHandle walkTo(const volume::FileHandle& directory, const fs::path& relative, std::string& name, const std::string& shown)
{
    volume::FileHandle current(::fcntl(directory.get(), F_DUPFD_CLOEXEC, 0));
    if (current.get() < 0) {
        const int error = errno;
        throw std::runtime_error("cannot read " + shown + ": " + describe(error));
    }
    const auto parts = std::vector<fs::path>(relative.begin(), relative.end());
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        volume::FileHandle next(::openat(current.get(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (next.get() < 0) {
            const int error = errno;
            throw std::runtime_error("cannot read " + shown + ": " +
                                     (error == ELOOP || error == ENOTDIR ? std::string("a link or not a directory on "
                                                                                       "the way")
                                                                         : describe(error)));
        }
        current = std::move(next);
    }
    name = parts.empty() ? std::string() : parts.back().string();
    return current;
}

} // namespace

volume::FileHandle openDirectory(const fs::path& path)
{
    volume::FileHandle fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) {
        const int error = errno;
        throw std::runtime_error("cannot open the directory " + path.string() + ": " + describe(error));
    }
    return fd;
}

void copyPrivateFile(const volume::FileHandle& directory, const fs::path& relative, const fs::path& to, const std::string& shown)
{
    std::string name;
    const auto parent = walkTo(directory, relative, name, shown);
    volume::FileHandle in(::openat(parent.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat status{};
    if (in.get() < 0 || ::fstat(in.get(), &status) != 0) {
        const int error = errno;
        throw std::runtime_error("cannot read " + shown + ": " +
                                 (error == ELOOP ? std::string("it is a link") : describe(error)));
    }
    if (!S_ISREG(status.st_mode))
        throw std::runtime_error("cannot read " + shown + ": it is not a regular file");
    // A second name (a hard link) could be another file's, where the kernel allows linking
    // what one cannot read (fs.protected_hardlinks=0).
    if (status.st_nlink != 1)
        throw std::runtime_error("cannot read " + shown + ": it has another name (a hard link)");
    volume::FileHandle out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (out.get() < 0) {
        const int error = errno;
        throw std::runtime_error("cannot copy " + shown + " to " + to.string() + ": " + describe(error));
    }
    char buffer[64 * 1024];
    for (;;) {
        const ssize_t got = ::read(in.get(), buffer, sizeof buffer);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            const int error = errno;
            throw std::runtime_error("cannot read " + shown + ": " + describe(error));
        }
        if (got == 0)
            break;
        for (ssize_t done = 0; done < got;) {
            const ssize_t put = ::write(out.get(), buffer + done, static_cast<std::size_t>(got - done));
            if (put < 0 && errno == EINTR)
                continue;
            if (put <= 0) {
                const int error = errno;
                throw std::runtime_error("cannot copy " + shown + " to " + to.string() + ": " + describe(error));
            }
            done += put;
        }
    }
}

std::vector<std::string> privateFilesIn(const volume::FileHandle& directory, const fs::path& relative)
{
    volume::FileHandle sub(::openat(directory.get(), relative.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (sub.get() < 0) {
        const int error = errno;
        if (error == ENOENT)
            return {};
        throw std::runtime_error("cannot list " + relative.string() + " in the data directory: " +
                                 (error == ELOOP || error == ENOTDIR ? std::string("it is a link or not a directory")
                                                                     : describe(error)));
    }
    const int listed = ::fcntl(sub.get(), F_DUPFD_CLOEXEC, 0);
    DIR* dir = listed < 0 ? nullptr : ::fdopendir(listed);
    if (!dir) {
        const int error = errno;
        if (listed >= 0)
            ::close(listed);
        throw std::runtime_error("cannot list " + relative.string() + " in the data directory: " + describe(error));
    }
    std::vector<std::string> names;
    while (const dirent* entry = ::readdir(dir)) {
        struct stat status{};
        if (::fstatat(sub.get(), entry->d_name, &status, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(status.st_mode))
            names.emplace_back(entry->d_name);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
}

PrivateStagingDirectory::PrivateStagingDirectory(const fs::path& parent, const std::string& prefix)
{
    std::string pattern = (parent / (prefix + "-XXXXXX")).string();
    if (!::mkdtemp(pattern.data())) {
        const int error = errno;
        throw std::runtime_error("cannot make a staging directory in " + parent.string() + ": " + describe(error));
    }
    made_ = pattern;
    fd_ = volume::FileHandle(::open(pattern.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    const int error = errno;
    struct stat status{};
    if (fd_.get() < 0) {
        ::rmdir(made_.c_str());
        throw std::runtime_error("cannot open the staging directory " + made_.string() + ": " + describe(error));
    }
    if (::fstat(fd_.get(), &status) != 0 || status.st_uid != ::geteuid() || (status.st_mode & 077) != 0) {
        ::rmdir(made_.c_str());
        throw std::runtime_error("the staging directory " + made_.string() + " was changed as it was made");
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_.get());
}

PrivateStagingDirectory::~PrivateStagingDirectory()
{
    std::error_code ignored;
    std::vector<fs::path> entries;
    for (auto it = fs::directory_iterator(path_, ignored); !ignored && it != fs::directory_iterator();
         it.increment(ignored))
        entries.push_back(it->path());
    for (const auto& entry : entries)
        fs::remove_all(entry, ignored);
    // Only an empty directory goes: if the name now stands for something else, it stays.
    ::rmdir(made_.c_str());
}

} // namespace parley::parleyctl
