#pragma once

#include <parley/storage/audit_repeat_policy.h>

#include <Poco/Data/Session.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace parley::storage {

class AuditRepeatFolder;
class Database;

/// A time as the audit log writes it: UTC with milliseconds, "2026-11-23T10:00:00.123Z". Fixed
/// width, so that time order and string order agree (filters compare strings).
std::string auditTime(std::chrono::system_clock::time_point time);

/// Something security-relevant that happened.
struct AuditEvent
{
    std::string actor;         ///< "alice", "system", "parleyctl:root", or "" for an anonymous caller
    std::string sourceAddress; ///< client IP, or "local"
    std::string action;        ///< e.g. "login.failure" (docs/security.md lists them)
    std::string target;        ///< what it acted on, e.g. "user:bob"
    std::string outcome;       ///< "success" or "failure"
    std::string details = "{}"; ///< a JSON object with the particulars (never a password)
};

/// An event as recorded: numbered, timed and chained.
struct AuditEntry
{
    std::int64_t seq = 0;
    std::string time; ///< UTC, "2026-11-23T10:00:00.123Z"
    AuditEvent event;
    std::string prevHash; ///< hex SHA-256 of the previous entry (64 zeros for the first)
    std::string hash;     ///< hex SHA-256 of prevHash and this entry's canonical content
};

/// Which entries a query returns; empty members do not filter.
struct AuditFilter
{
    std::string from;   ///< inclusive lower bound on time (ISO 8601 UTC, any prefix)
    std::string to;     ///< exclusive upper bound on time
    std::string actor;  ///< exact
    std::string action; ///< exact, or a prefix ending in '.' ("login." matches "login.failure")
    std::string outcome; ///< exact ("success" or "failure")
    std::int64_t fromSeq = 0;    ///< inclusive lower bound on seq; 0: none
    std::int64_t throughSeq = 0; ///< inclusive upper bound on seq; 0: none
};

/// The newest entry of the log: what an export names as its head.
struct AuditHead
{
    std::int64_t seq = 0;                ///< 0 for an empty log
    std::string hash = std::string(64, '0'); ///< kGenesisHash for an empty log
};

/// The outcome of verifying the whole chain.
struct AuditVerification
{
    bool ok = false;
    std::int64_t entriesChecked = 0;
    std::optional<std::int64_t> firstBadSeq; ///< the first entry altered, inserted or removed
    std::string problem;                      ///< what is wrong, in words; "" when ok
};

/// The tamper-evident audit log.
///
/// Each entry's hash is SHA-256 over the previous entry's hash and the entry's canonical
/// content (see canonicalContent). The database refuses UPDATE and DELETE on entries
/// (triggers), except deletion of entries covered by a retention checkpoint. The newest
/// entry is recorded in an anchor row MACed (HMAC-SHA256) with the installation's audit key,
/// so removing entries from the end is detected too; retention checkpoints are MACed the same
/// way. Anyone who can write the database file but does not hold the key cannot rewrite
/// history without verify() noticing.
class AuditLog
{
public:
    using Clock = std::function<std::chrono::system_clock::time_point()>;

    /// `key` is the secret from the installation's audit key file (loadOrCreateKeyFile).
    /// `repeats` says how floods of identical events are folded (AuditRepeatFolder).
    AuditLog(Database& database, std::string key, Clock clock = &std::chrono::system_clock::now,
             AuditRepeatPolicy repeats = {});
    /// Writes the summaries still open (flushRepeats(true)).
    ~AuditLog();

    /// Appends the event and returns the entry as recorded, or nothing when the event is
    /// identical to more than `repeats.recordedIndividually` others in its window: then it is
    /// counted into a summary entry written when the window ends (flushRepeats). Thread-safe;
    /// entries are numbered without gaps in the order appended. Throws
    /// Poco::Data::DataException if the database cannot be written (callers decide whether the
    /// action may proceed unaudited: security actions must not).
    std::optional<AuditEntry> append(const AuditEvent& event);

    /// Writes the summaries of folded events whose window has ended; with `everything`, of
    /// all folded events (before shutdown). The server calls it every few seconds.
    void flushRepeats(bool everything = false);

    /// Entries matching the filter, oldest first, `limit` of them from `offset`.
    std::vector<AuditEntry> query(const AuditFilter& filter, std::int64_t offset, std::int64_t limit);
    std::int64_t count(const AuditFilter& filter);

    /// Calls `visit` for every matching entry, oldest first, reading in batches (for exports
    /// of any size).
    void forEach(const AuditFilter& filter, const std::function<void(const AuditEntry&)>& visit);

    /// The newest entry's seq and hash (after pruning, the checkpoint's when no entry is left).
    AuditHead head();

    /// Recomputes the chain from the newest checkpoint (or the first entry) to the anchor.
    /// Never throws for tampering; reports it.
    AuditVerification verify();

    /// Removes entries older than `retention`, keeping a MACed checkpoint of the last one
    /// removed so that what remains still verifies. Returns how many were removed. Records
    /// an "audit.prune" event when it removed any.
    std::int64_t prune(std::chrono::hours retention);

    /// The bytes hashed for an entry: each of seq, time, actor, source address, action,
    /// target, outcome and details as a netstring (`<length>:<bytes>,`), in that order.
    static std::string canonicalContent(const AuditEntry& entry);
    /// hex(SHA-256(prevHash || canonicalContent)).
    static std::string chainHash(const AuditEntry& entry);

    static const std::string kGenesisHash; ///< 64 zeros

private:
    std::string mac(const std::string& text) const;
    std::string timestamp() const;
    AuditEntry appendLocked(const AuditEvent& event);
    AuditVerification verifyIn(Poco::Data::Session& session);

    Database& database_;
    std::string key_;
    Clock clock_;
    std::mutex appendMutex_;
    std::unique_ptr<AuditRepeatFolder> repeats_; ///< guarded by appendMutex_
};

} // namespace parley::storage
