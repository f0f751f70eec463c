#pragma once

#include <parley/storage/audit_log.h>
#include <parley/storage/audit_repeat_policy.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

namespace parley::storage {

/// What to write for events that were folded: `count` events identical to `event` between
/// `first` and `last`.
struct AuditRepeatSummary
{
    AuditEvent event;
    std::int64_t count = 0;
    std::chrono::system_clock::time_point first;
    std::chrono::system_clock::time_point last;

    /// The summary as an event: the same actor, address, action, target and outcome, and the
    /// original details with "repeats", "firstRepeat" and "lastRepeat" added.
    AuditEvent asEvent() const;
};

/// Decides which audit events are recorded and which are folded into a count, so that a
/// flood of one event (a password guessed from one address, a meeting ID guessed by one user)
/// cannot grow the log without bound while every distinct event is still recorded. Not
/// thread-safe: AuditLog calls it under its append lock. Memory: at most
/// `policy.maxTracked` events.
class AuditRepeatFolder
{
public:
    using TimePoint = std::chrono::system_clock::time_point;

    explicit AuditRepeatFolder(AuditRepeatPolicy policy = {});

    /// Whether `event`, happening at `now`, is to be recorded now (true) or was counted into
    /// a later summary (false). Summaries that became due (window ended, or the oldest
    /// evicted to make room) are added to `due`, to be written before `event`.
    bool admit(const AuditEvent& event, TimePoint now, std::vector<AuditRepeatSummary>& due);

    /// Summaries of the windows that ended by `now`.
    std::vector<AuditRepeatSummary> takeDue(TimePoint now);

    /// Every pending summary, windows ended or not (at shutdown).
    std::vector<AuditRepeatSummary> takeAll();

    std::size_t tracked() const { return tracked_.size(); }

private:
    struct Tracked
    {
        AuditEvent event;
        TimePoint windowStart;
        std::int64_t recorded = 0;
        std::int64_t folded = 0;
        TimePoint first;
        TimePoint last;
        bool flooding = false; ///< the previous window ended with a summary
    };

    /// Ends the windows ended by `now` (all if `everything`), oldest first.
    void expire(TimePoint now, bool everything, std::vector<AuditRepeatSummary>& due);
    void evictOldest(std::vector<AuditRepeatSummary>& due);
    /// Ends `key`'s window; keeps it (flooding) in a new window if it folded anything.
    void endWindow(const std::string& key, TimePoint newStart, bool keep, std::vector<AuditRepeatSummary>& due);

    AuditRepeatPolicy policy_;
    std::unordered_map<std::string, Tracked> tracked_;
    /// The keys of tracked_, oldest window first: each once (a window ends at the front,
    /// and one that goes on starts again at the back).
    std::deque<std::string> windows_;
};

} // namespace parley::storage
