#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace parley::backup {

/// The newest archive format this build writes and reads.
inline constexpr int kFormatVersion = 1;
/// Plaintext bytes per encrypted record (the last record may hold fewer).
inline constexpr std::uint32_t kDefaultChunkSize = 1u << 20;
/// Limits a reader holds an archive to before believing anything it says.
inline constexpr std::size_t kMaxHeaderBytes = 4096;
inline constexpr std::uint32_t kMinChunkSize = 4096;
inline constexpr std::uint32_t kMaxChunkSize = 16u << 20;

/// The plain-text header that starts every archive (docs/operations.md, "Backups"): readable
/// with `head`, and authenticated as associated data of every record, so changing any byte
/// of it makes the archive fail verification.
struct ArchiveHeader
{
    int format = kFormatVersion;
    std::string created; ///< UTC, ISO 8601 (2026-12-01T21:50:00Z)
    std::string keyId;   ///< BackupKey::id() of the key it was made with
    std::array<unsigned char, 32> salt{}; ///< random per archive; the archive's own key is derived from it
    std::uint32_t chunkSize = kDefaultChunkSize;
    std::string text; ///< the header exactly as written, blank line included

    /// Renders the fields into `text`.
    void render();
};

/// Parses the start of an archive (`bytes` holds its first kMaxHeaderBytes bytes or fewer).
/// Throws ArchiveError: NotAnArchive when it does not start with the Parley backup line or
/// the header is malformed, NewerFormat when its format is above kFormatVersion (checked
/// before anything else the header says). `name` is used in messages.
ArchiveHeader parseArchiveHeader(std::string_view bytes, const std::string& name);

/// Reads and parses the header of the archive in `file` (no key needed).
/// Throws ArchiveError (Io when the file cannot be read).
ArchiveHeader readArchiveHeader(const std::filesystem::path& file);

} // namespace parley::backup
