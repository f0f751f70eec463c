#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::storage {

class Database;

/// One file of a recording: a track as it was written.
struct StoredTrack
{
    std::string file; ///< relative to the recording's directory
    std::string trackId;
    std::string label;
    std::string codec;
    std::int64_t firstMs = 0;
    std::int64_t lastMs = 0;
    std::int64_t frames = 0;
};

/// A recording as stored. Times are Unix seconds.
struct Recording
{
    std::int64_t id = 0;
    std::int64_t roomId = 0;
    std::string roomTitle;
    std::optional<std::int64_t> ownerId;
    std::string startedBy;
    std::int64_t startedAt = 0;
    std::optional<std::int64_t> stoppedAt;
    std::string state; ///< "recording", "recorded", "failed"
    std::string directory;
    std::string error;
    std::vector<StoredTrack> tracks;
};

/// Recordings and their track files. Bound parameters only.
class RecordingStore
{
public:
    explicit RecordingStore(Database& database) : database_(database) {}

    /// A new recording in state "recording"; its directory is its id. Returns it.
    Recording create(std::int64_t roomId, const std::string& roomTitle, std::optional<std::int64_t> ownerId,
                     const std::string& startedBy, std::int64_t now);

    /// Records the end: state "recorded" (or "failed" with `error` when nothing usable was
    /// written), the stop time and the tracks, in one transaction.
    void finish(std::int64_t id, std::int64_t now, const std::vector<StoredTrack>& tracks, const std::string& error);

    std::optional<Recording> find(std::int64_t id);
    std::vector<Recording> forRoom(std::int64_t roomId);

    /// Recordings still "recording" (the server stopped during one): marked "recorded" with
    /// the error "interrupted"; returns how many. Called at start-up.
    int markInterrupted(std::int64_t now);

private:
    Database& database_;
};

} // namespace parley::storage
