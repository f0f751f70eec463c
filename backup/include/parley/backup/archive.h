#pragma once

#include <parley/backup/archive_header.h>
#include <parley/backup/backup_key.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace parley::backup {

/// A file to put into an archive under `name` (a relative path of letters, digits, '.',
/// '_', '-' and '/', as it will be restored).
struct ArchiveMember
{
    std::string name;
    std::filesystem::path source;
};

/// One member as the manifest lists it.
struct ManifestEntry
{
    std::string name;
    std::uint64_t size = 0;
    std::string sha256; ///< hex
};

/// What an archive holds, once every record and every member's SHA-256 checked out.
struct ArchiveContents
{
    ArchiveHeader header;
    std::vector<ManifestEntry> members;
    std::uint64_t archiveBytes = 0;
};

/// Writes a new archive `target` holding `members`, encrypted under `key` (the format is in
/// docs/operations.md, "Backups"). Memory use is one record, whatever the members' sizes.
/// The archive is written as `target`.partial and renamed when complete and synced, so
/// `target` is either absent or whole. The sources must not change while this runs (pass
/// private copies); a member whose size or hash changes between the two passes is an error.
/// Throws ArchiveError (Io) naming the file that could not be read or written, and
/// std::invalid_argument for a member name outside the allowed form or a duplicate.
ArchiveContents writeArchive(const std::filesystem::path& target, const BackupKey& key,
                             const std::vector<ArchiveMember>& members,
                             std::chrono::system_clock::time_point created,
                             std::uint32_t chunkSize = kDefaultChunkSize);

/// Receives the members of an archive as they are decrypted, in manifest order. Data is
/// handed over before the member's hash is checked: a receiver that writes files must keep
/// them aside until readArchive returns.
class MemberSink
{
public:
    virtual ~MemberSink() = default;
    virtual void begin(const ManifestEntry& member) = 0;
    virtual void data(std::span<const unsigned char> bytes) = 0;
    virtual void end(const ManifestEntry& member) = 0;
};

/// Reads, decrypts and checks the whole archive `file` with `key`, handing the members to
/// `sink` (may be null: verification only). Memory use is one record.
/// Throws ArchiveError: NotAnArchive / NewerFormat from the header, WrongKey when the
/// archive names another key, Damaged naming the first record that fails (its byte range in
/// the archive and the member or members it holds, or the manifest) or a cut-short archive,
/// Io when the file cannot be read. Exceptions from the sink pass through.
ArchiveContents readArchive(const std::filesystem::path& file, const BackupKey& key, MemberSink* sink);

/// True when `name` is an acceptable member name (see ArchiveMember).
bool isValidMemberName(const std::string& name);

} // namespace parley::backup
