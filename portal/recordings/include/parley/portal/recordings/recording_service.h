#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

namespace parley::router {
class MediaRouter;
}
namespace parley::storage {
class AuditLog;
class Database;
} // namespace parley::storage

namespace parley::portal {

/// Why a recording could not start or stop; `code` is the signaling error code.
class RecordingError : public std::runtime_error
{
public:
    RecordingError(std::string code, const std::string& message)
        : std::runtime_error(message), code_(std::move(code))
    {}
    const std::string& code() const { return code_; }

private:
    std::string code_;
};

/// The recordings in progress, one per room at most. Starting checks that the recording
/// volume is an unlocked Parley volume with room to spare (else nothing starts and the
/// reason is given), stores the recording, and has the router copy the room's tracks to a
/// recorder writing into the volume. Stopping ends the copy, closes every file and stores
/// what was written. Thread-safe.
class RecordingService
{
public:
    /// Refuses to start with less than this free on the volume.
    static constexpr std::uint64_t kMinimumFreeBytes = 64ull * 1024 * 1024;

    /// Below this free space a running recording is stopped (with what it has), before the
    /// file system fills and files are cut mid-frame.
    static constexpr std::uint64_t kStopFreeBytes = 16ull * 1024 * 1024;

    /// Called when the server stopped a recording on its own: room id and why.
    using StoppedItself = std::function<void(std::int64_t roomId, const std::string& reason)>;

    /// `stopped` is called after each recording is stored (to start its composition);
    /// `stoppedItself` when a watchdog stopped one because the volume filled up, went away
    /// or a file could not be written (checked every second).
    RecordingService(storage::Database& database, storage::AuditLog& audit, router::MediaRouter* media,
                     std::filesystem::path volume, std::function<void()> stopped = {},
                     StoppedItself stoppedItself = {});
    ~RecordingService();
    RecordingService(const RecordingService&) = delete;
    RecordingService& operator=(const RecordingService&) = delete;

    struct Started
    {
        std::int64_t id = 0;
        std::int64_t startedAt = 0; ///< Unix seconds
    };

    /// Starts recording room `roomId`. Throws RecordingError: `already_recording`,
    /// `media_unavailable`, `recording_unavailable` (the volume is locked, missing or full:
    /// the message says which). `names`: the display names of the participants present, by
    /// participant id, stored with their tracks.
    Started start(std::int64_t roomId, const std::string& roomTitle, std::optional<std::int64_t> ownerId,
                  const std::string& startedBy, std::optional<int> retentionDays = {},
                  std::map<std::string, std::string> names = {});

    /// The display name of a participant who (re)negotiated media in a room; kept only while
    /// the room is being recorded.
    void noteName(std::int64_t roomId, const std::string& participantId, const std::string& displayName);

    /// Stops the room's recording and returns its id; nothing if there was none. `reason`
    /// goes to the audit log when the server stops it on its own (actor "system"); a person
    /// who stops it is audited by the caller, with this id.
    std::optional<std::int64_t> stop(std::int64_t roomId, const std::string& reason);

    /// When the room's recording started, if one is running.
    std::optional<std::int64_t> activeSince(std::int64_t roomId) const;

    /// Stops every recording (the server is stopping).
    void stopAll(const std::string& reason);

private:
    struct Active;
    void watch();

    storage::Database& database_;
    storage::AuditLog& audit_;
    router::MediaRouter* media_;
    std::filesystem::path volume_;
    std::function<void()> stopped_;
    StoppedItself stoppedItself_;
    mutable std::mutex mutex_;
    std::map<std::int64_t, std::unique_ptr<Active>> active_;
    std::mutex watchMutex_;
    std::condition_variable watchWake_;
    bool watchStopping_ = false;
    std::thread watchdog_;
};

} // namespace parley::portal
