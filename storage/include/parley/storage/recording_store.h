#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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
    std::string displayName; ///< the participant's name in the meeting ("" if not known)
    std::string sha256;      ///< of the file, lower-case hex; "" until it was hashed
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

    std::string composition = "pending"; ///< "pending", "composing", "done", "failed"
    double composeProgress = 0;          ///< 0..1
    int composeAttempts = 0;
    std::string composeError;
    std::optional<double> composeSeconds; ///< how long the composition took
    std::string file;                     ///< the composed file, relative to the volume
    std::optional<std::int64_t> durationMs;
    std::optional<std::int64_t> sizeBytes;
    std::string sha256; ///< of the composed file, lower-case hex
    std::string integrity; ///< "", "ok", "mismatch", "missing": the last check's result
    std::optional<std::int64_t> verifiedAt;
    std::optional<int> retentionDays; ///< from the room; none means the server's setting
};

/// A user a recording is shared with.
struct RecordingShare
{
    std::int64_t userId = 0;
    std::string username;
    std::string grantedBy;
    std::int64_t grantedAt = 0;
};

/// How many recordings are in each state, for the admin's overview.
struct RecordingTally
{
    std::int64_t recording = 0; ///< being written now
    std::int64_t composing = 0; ///< their playable file being made
    std::int64_t queued = 0;    ///< recorded, waiting for their composition
    std::int64_t failed = 0;    ///< recording or composition failed
    std::int64_t composedBytes = 0; ///< the composed files' sizes together
};

/// Recordings, their track files, their composed file and who they are shared with.
/// Bound parameters only.
class RecordingStore
{
public:
    explicit RecordingStore(Database& database) : database_(database) {}

    /// A new recording in state "recording"; its directory is its id. Returns it.
    Recording create(std::int64_t roomId, const std::string& roomTitle, std::optional<std::int64_t> ownerId,
                     const std::string& startedBy, std::int64_t now, std::optional<int> retentionDays = {});

    /// Records the end: state "recorded" (or "failed" with `error` when nothing usable was
    /// written), the stop time and the tracks, in one transaction. Its composition is then
    /// "pending", or "failed" when there are no tracks.
    void finish(std::int64_t id, std::int64_t now, const std::vector<StoredTrack>& tracks, const std::string& error);

    std::optional<Recording> find(std::int64_t id);
    /// Every recording, newest first.
    std::vector<Recording> all();
    /// The recordings `userId` owns or that are shared with them, newest first.
    std::vector<Recording> visibleTo(std::int64_t userId);
    /// Every recording (an admin's view) whose room title, starter or owner contains `text`,
    /// ignoring case ("" for all), newest first, `limit` of them from `offset`.
    std::vector<Recording> search(std::string_view text, std::int64_t offset, std::int64_t limit);
    std::int64_t count(std::string_view text);
    RecordingTally tally();
    bool isSharedWith(std::int64_t id, std::int64_t userId);

    /// Recordings still "recording" (the server stopped during one): marked "recorded" with
    /// the error "interrupted"; returns how many. Called at start-up.
    int markInterrupted(std::int64_t now);

    /// Recorded recordings whose composition is pending, or was running when the server
    /// stopped, with fewer than `maxAttempts` attempts; oldest first.
    std::vector<std::int64_t> compositionsToRun(int maxAttempts);
    /// Composition starts: "composing", one more attempt, progress 0.
    void beginComposition(std::int64_t id);
    void setComposeProgress(std::int64_t id, double progress);
    void finishComposition(std::int64_t id, const std::string& file, std::int64_t durationMs, std::int64_t sizeBytes,
                           const std::string& sha256, double seconds);
    /// The attempt was cut short (the server stops): pending again, not counted.
    void cancelComposition(std::int64_t id);
    /// The attempt failed: back to "pending" when `retry`, else "failed".
    void failComposition(std::int64_t id, const std::string& error, bool retry);

    /// Stores the SHA-256 of each track file (by its `file`).
    void setTrackHashes(std::int64_t id, const std::vector<StoredTrack>& tracks);

    /// Forgets the track files (they were removed once the composed file existed).
    void removeTracks(std::int64_t id);

    void setIntegrity(std::int64_t id, const std::string& result, std::int64_t now);

    /// Recordings stopped more than their retention (own or `defaultDays`; 0 keeps forever)
    /// before `now`, except those being composed.
    std::vector<std::int64_t> expired(std::int64_t now, int defaultDays);

    /// Shares `id` with `userId`; false if it was already.
    bool share(std::int64_t id, std::int64_t userId, const std::string& grantedBy, std::int64_t now);
    bool unshare(std::int64_t id, std::int64_t userId);
    std::vector<RecordingShare> shares(std::int64_t id);

    /// Removes the recording, its tracks and shares from the database.
    void remove(std::int64_t id);

private:
    std::vector<Recording> findAll(const std::vector<std::int64_t>& ids);

    Database& database_;
};

} // namespace parley::storage
