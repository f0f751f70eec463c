#pragma once

// Reading and staging the data directory's files as root, where the directory belongs to the
// server's account: that account could put a symbolic link (or swap a directory) there for
// root to follow, so nothing below the data directory is reached by a path that follows one.

#include <parley/volume/recording_directory.h>

#include <filesystem>
#include <string>
#include <vector>

namespace parley::parleyctl {

/// Opens the directory `path` (the data directory itself, which root's configuration names).
/// Throws std::runtime_error naming it when it cannot.
volume::FileHandle openDirectory(const std::filesystem::path& path);

/// Copies the regular file `relative` (e.g. "tls/uploaded.pem") of the directory `directory`
/// to `to`, a new file of mode 0600, without following a symbolic link on the way. Throws
/// std::runtime_error naming `shown` when the file is missing, is a link or not a regular
/// file, or cannot be read or written.
void copyPrivateFile(const volume::FileHandle& directory, const std::filesystem::path& relative, const std::filesystem::path& to,
                     const std::string& shown);

/// The names of the regular files (not links) in the subdirectory `relative` of `directory`,
/// sorted; none when it does not exist. Throws std::runtime_error when it is a link.
std::vector<std::string> privateFilesIn(const volume::FileHandle& directory, const std::filesystem::path& relative);

/// A new directory of mode 0700 in `parent`, reached only through a descriptor opened when
/// it was made (path() is /proc/self/fd/N), so renaming it or putting a link in its place
/// cannot redirect what is written into it. It is emptied and removed when it goes.
class PrivateStagingDirectory
{
public:
    PrivateStagingDirectory(const std::filesystem::path& parent, const std::string& prefix);
    ~PrivateStagingDirectory();
    PrivateStagingDirectory(const PrivateStagingDirectory&) = delete;
    PrivateStagingDirectory& operator=(const PrivateStagingDirectory&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path made_;
    volume::FileHandle fd_{-1};
    std::filesystem::path path_;
};

} // namespace parley::parleyctl
