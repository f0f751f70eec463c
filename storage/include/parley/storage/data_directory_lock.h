#pragma once

#include <filesystem>
#include <optional>

namespace parley::storage {

/// A lock on a data directory (flock on `<dir>/parleyd.lock`) that tells a running server
/// from a restore. Every parleyd holds it shared for as long as it runs (several may, as
/// before); `parleyctl backup restore` holds it exclusively, so a restore never writes under
/// a running server and a server never starts on a half-restored directory. The kernel drops
/// the lock when the process ends, however it ends.
class DataDirectoryLock
{
public:
    enum class Mode { Shared, Exclusive };

    /// Takes the lock without waiting; nullopt when the other kind is held. Throws
    /// std::runtime_error naming the file when it cannot be created or opened.
    static std::optional<DataDirectoryLock> tryAcquire(const std::filesystem::path& dataDir, Mode mode);

    DataDirectoryLock(DataDirectoryLock&& other) noexcept;
    DataDirectoryLock& operator=(DataDirectoryLock&& other) noexcept;
    DataDirectoryLock(const DataDirectoryLock&) = delete;
    DataDirectoryLock& operator=(const DataDirectoryLock&) = delete;
    ~DataDirectoryLock();

    /// The lock file's path.
    static std::filesystem::path fileIn(const std::filesystem::path& dataDir) { return dataDir / "parleyd.lock"; }

private:
    explicit DataDirectoryLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

} // namespace parley::storage
