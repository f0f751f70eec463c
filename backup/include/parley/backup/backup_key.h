#pragma once

#include <array>
#include <filesystem>
#include <string>

namespace parley::backup {

/// The 256-bit key every backup is encrypted under. It lives in a file of its own, apart
/// from the data it protects (not in the data directory, not on the backup share).
class BackupKey
{
public:
    static constexpr std::size_t kBytes = 32;

    explicit BackupKey(const std::array<unsigned char, kBytes>& bytes) : bytes_(bytes) {}
    ~BackupKey();
    BackupKey(const BackupKey&) = default;
    BackupKey& operator=(const BackupKey&) = default;

    const std::array<unsigned char, kBytes>& bytes() const { return bytes_; }
    /// 16 hex digits that name the key (a hash of it with its own label; it reveals nothing
    /// of the key) and are written in the clear into each archive's header, so a restore with
    /// the wrong key is told so before anything is decrypted.
    std::string id() const;

private:
    std::array<unsigned char, kBytes> bytes_;
};

/// Writes a new random key as 64 hex digits to `file`, mode 0400, owned by whoever runs
/// this. Refuses (std::runtime_error naming the file) if the file exists: overwriting a
/// backup key loses every backup made with it.
void createBackupKeyFile(const std::filesystem::path& file);

/// Reads the key in `file`. The file must be a regular file (not a link) owned by the user
/// running this (root when installed) and readable by nobody else, like volume key files;
/// otherwise, or when it does not hold exactly 64 hex digits, throws std::runtime_error
/// saying what to fix.
BackupKey readBackupKeyFile(const std::filesystem::path& file);

} // namespace parley::backup
