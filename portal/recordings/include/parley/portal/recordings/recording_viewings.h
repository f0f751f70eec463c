#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace parley::storage {
class AuditLog;
}

namespace parley::portal {

/// How recording requests are folded into viewings.
struct RecordingViewingPolicy
{
    std::chrono::seconds idle{300}; ///< a longer pause starts a new viewing
    std::size_t maxOpen = 4096;     ///< viewings followed at once
    std::size_t maxRanges = 16;     ///< per file; past it the closest neighbours are joined
};

/// Folds the many range requests a player makes while someone watches a recording into one
/// viewing, audited twice: `recording.view` when it starts, before its first byte is sent
/// (so no content leaves unaudited, even if the server then crashes), and
/// `recording.view.end` when it ends, with what was requested summarised (requests, bytes,
/// the byte ranges of each file merged). A viewing is one session's requests for one
/// recording's files (composed or track files) with no pause longer than `idle`; a
/// request after a longer pause starts a new viewing. Thread-safe; memory is bounded by
/// `maxOpen` viewings (past it the oldest is ended early) and `maxRanges` ranges per file.
class RecordingViewings
{
public:
    using Clock = std::function<std::chrono::system_clock::time_point()>;

    using Policy = RecordingViewingPolicy;

    /// Who watches: the session (its token's hash), and as the audit log names them.
    struct Viewer
    {
        std::string session;
        std::string actor;
        std::string address;
    };

    explicit RecordingViewings(storage::AuditLog& audit, Policy policy = {},
                               Clock clock = &std::chrono::system_clock::now);
    /// Ends every open viewing (closeIdle(true)); errors are logged.
    ~RecordingViewings();
    RecordingViewings(const RecordingViewings&) = delete;
    RecordingViewings& operator=(const RecordingViewings&) = delete;

    /// A request for bytes [first, last] of `file` (of `size` bytes; `whole` when no range
    /// was asked for) of recording `recordingId`. Appends `recording.view` when it starts a
    /// viewing, and throws if that cannot be written (the caller then sends nothing).
    /// Returns the viewing's id (in both audit entries).
    std::string request(const Viewer& viewer, std::int64_t recordingId, const std::string& file, std::uint64_t first,
                        std::uint64_t last);

    /// Ends the viewings idle for longer than the policy's `idle` (every one with
    /// `everything`, before the server stops) and appends their `recording.view.end`.
    /// Returns how many ended.
    std::size_t closeIdle(bool everything = false);

    std::size_t open() const;

private:
    struct Range
    {
        std::uint64_t first = 0;
        std::uint64_t last = 0;
    };
    struct Viewing
    {
        std::string id;
        Viewer viewer;
        std::int64_t recordingId = 0;
        std::chrono::system_clock::time_point started;
        std::chrono::system_clock::time_point lastRequest;
        std::int64_t requests = 0;
        std::uint64_t bytes = 0;
        std::map<std::string, std::vector<Range>> ranges; ///< by file, merged and sorted
    };

    void add(Viewing& viewing, const std::string& file, std::uint64_t first, std::uint64_t last) const;
    void end(const Viewing& viewing);

    storage::AuditLog& audit_;
    Policy policy_;
    Clock clock_;
    mutable std::mutex mutex_;
    std::map<std::string, Viewing> open_; ///< by session and recording
};

} // namespace parley::portal
