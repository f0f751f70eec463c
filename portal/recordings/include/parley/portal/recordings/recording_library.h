#pragma once

#include <parley/portal/recordings/recording_settings.h>
#include <parley/storage/recording_store.h>
#include <parley/volume/recording_directory.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>

namespace parley::storage {
class AuditLog;
class Database;
} // namespace parley::storage

namespace parley::portal {

/// Who did something to a recording, for the audit log.
struct RecordingActor
{
    std::string name;    ///< username, or "system" for the server's own jobs
    std::string address; ///< client address, or "local"
};

/// The stored recordings as files in the volume: composing the playable file, checking it,
/// deleting recordings, retention. Every file access goes through a RecordingDirectory, so
/// nothing is read or written outside an unlocked Parley volume. Thread-safe (no state of
/// its own beyond the database).
class RecordingLibrary
{
public:
    /// The composed file's name in the recording's directory.
    static constexpr const char* kComposedFile = "recording.webm";

    RecordingLibrary(storage::Database& database, storage::AuditLog& audit, std::filesystem::path volume,
                     RecordingSettings settings);

    /// The volume, checked; throws volume::VolumeError(NotUnlocked) saying why not.
    volume::RecordingDirectory openVolume() const;

    /// Composes recording `id` into its playable file: its track files hashed first (stored
    /// with each track), then written as a ".partial" file, synced,
    /// renamed into place, then its duration, size and SHA-256 stored; progress is stored as
    /// it goes. Failures are stored (retried while attempts remain) and logged, not thrown.
    /// When `cancel` becomes true the composition stops soon, is left pending and does not
    /// count as an attempt. Returns true when it failed and should be tried again soon.
    bool compose(std::int64_t id, const std::atomic<bool>& cancel);

    /// Hashes the composed file and every track file with a stored SHA-256 and compares;
    /// stores and audits the result ("ok", or the first file at fault's "mismatch" or
    /// "missing", the composed file first, every track file at fault named in the audit
    /// entry). Throws VolumeError when the volume is not there
    /// (nothing can be said then).
    std::string verify(const storage::Recording& recording, const RecordingActor& actor);

    /// Deletes the recording's files and its records; audited as recording.delete.
    void remove(const storage::Recording& recording, const RecordingActor& actor, const std::string& reason);

    /// Deletes what retention says is due; returns how many.
    int applyRetention(std::int64_t now);
    /// Verifies composed files last checked longer ago than the integrity interval; returns
    /// how many were checked.
    int verifyDue(std::int64_t now);

    /// The file's `[recording]` settings (retentionDays as the file says; see retentionDays()).
    const RecordingSettings& settings() const { return settings_; }
    /// The volume's mount point (checked by openVolume, not here).
    const std::filesystem::path& volumePath() const { return volume_; }
    storage::Database& database() const { return database_; }

    /// Days recordings without a retention of their own are kept (0: kept); starts as the
    /// file's value, an admin may change it at run time. The next retention run and every
    /// recording's deleteAfter use the new value.
    int retentionDays() const { return retentionDays_; }
    void setRetentionDays(int days) { retentionDays_ = days; }

private:
    storage::Database& database_;
    storage::AuditLog& audit_;
    std::filesystem::path volume_;
    RecordingSettings settings_;
    std::atomic<int> retentionDays_;
};

/// SHA-256 of everything in `fd` from its start, lower-case hex.
std::string sha256OfFile(int fd);

} // namespace parley::portal
