#pragma once

#include <parley/volume/volume_check.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace parley::volume {

/// An open file descriptor, closed on destruction.
class FileHandle
{
public:
    explicit FileHandle(int fd) : fd_(fd) {}
    ~FileHandle();
    FileHandle(FileHandle&& other) noexcept : fd_(other.release()) {}
    FileHandle& operator=(FileHandle&& other) noexcept;
    FileHandle(const FileHandle&) = delete;

    int get() const { return fd_; }
    /// Gives up ownership (e.g. to a library that closes it).
    int release();

private:
    int fd_ = -1;
};

/// The root of an unlocked recording volume, held open. Files are created relative to the
/// held directory, never by path, so they land in the volume even if something is mounted
/// or unmounted at the mount point meanwhile; and while it is held the volume cannot be
/// unmounted (locking fails with "busy" instead of leaving a writer on the plain disk
/// underneath). Not copyable; closes its descriptor on destruction.
class RecordingDirectory
{
public:
    /// Checks `mountPoint` with requireUnlockedVolume (throws VolumeError(NotUnlocked) with
    /// the reason) and that the directory then opened is on the device that check found.
    static RecordingDirectory open(const std::filesystem::path& mountPoint);

    ~RecordingDirectory();
    RecordingDirectory(RecordingDirectory&& other) noexcept;
    RecordingDirectory& operator=(RecordingDirectory&&) = delete;
    RecordingDirectory(const RecordingDirectory&) = delete;

    const MountedVolume& volume() const { return volume_; }

    /// Free space on the volume now, for the server's account.
    std::uint64_t freeBytes() const;

    /// Creates the new file `relativePath` (mode 0600; its directories 0700 as needed) and
    /// returns it open for writing. Path parts may hold
    /// letters, digits, '.', '_' and '-' only, never "." or ".." (std::invalid_argument);
    /// an existing file is never replaced (VolumeError(InUse)); symbolic links are not
    /// followed.
    FileHandle createFile(const std::string& relativePath) const;

    /// Opens the existing file `relativePath` for reading (same path rules; links are not
    /// followed). VolumeError(NotFound) when it is not there.
    FileHandle openFile(const std::string& relativePath) const;

    /// Renames `from` to `to` (both in one directory of the volume), replacing `to`, and
    /// syncs the directory: after a crash either the old or the new name is there, whole.
    void renameFile(const std::string& from, const std::string& to) const;

    /// The names of the regular files in the directory `relativePath`, sorted; empty if it
    /// is not there.
    std::vector<std::string> listFiles(const std::string& relativePath) const;

    /// Removes the file `relativePath`; false if it was not there.
    bool removeFile(const std::string& relativePath) const;

    /// Removes the directory `relativePath` and the files in it (one level; a subdirectory
    /// makes it fail rather than be walked); false if it was not there.
    bool removeDirectory(const std::string& relativePath) const;

private:
    RecordingDirectory(int fd, MountedVolume volume);
    /// The directory holding the last part of `parts`, open; created when `create`.
    FileHandle openParent(const std::vector<std::string>& parts, bool create) const;

    struct Entry
    {
        std::string name;
        bool regularFile = false;
    };
    struct Listing
    {
        FileHandle parent;
        FileHandle directory;
        std::string name; ///< of the directory in its parent
        std::vector<Entry> entries; ///< sorted by name, without "." and ".."
    };
    /// The directory `relativePath` open (links not followed) with its entries; nullopt if
    /// it is not there.
    std::optional<Listing> list(const std::string& relativePath) const;

    int fd_ = -1;
    MountedVolume volume_;
};

} // namespace parley::volume
