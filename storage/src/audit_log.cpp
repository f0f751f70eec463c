#include <parley/storage/audit_log.h>

#include <parley/log/log_event.h>
#include <parley/storage/audit_repeat_folder.h>
#include <parley/storage/database.h>
#include <parley/storage/transaction.h>

#include <Poco/Crypto/DigestEngine.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DigestEngine.h>
#include <Poco/Logger.h>
#include <Poco/Timestamp.h>
#include <Poco/Tuple.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

using namespace Poco::Data::Keywords;

namespace parley::storage {
namespace {

using Row = Poco::Tuple<Poco::Int64, std::string, std::string, std::string, std::string, std::string,
                        std::string, std::string, std::string, std::string>;

constexpr const char* kColumns =
    "seq, time, actor, source_address, action, target, outcome, details, prev_hash, hash";
constexpr std::int64_t kBatch = 1000;

AuditEntry fromRow(const Row& row)
{
    AuditEntry entry;
    entry.seq = row.get<0>();
    entry.time = row.get<1>();
    entry.event = {row.get<2>(), row.get<3>(), row.get<4>(), row.get<5>(), row.get<6>(), row.get<7>()};
    entry.prevHash = row.get<8>();
    entry.hash = row.get<9>();
    return entry;
}

void netstring(std::string& out, const std::string& value)
{
    out += std::to_string(value.size());
    out += ':';
    out += value;
    out += ',';
}

/// The WHERE clause and its bound values for a filter.
struct Where
{
    std::string sql;
    std::vector<std::string> values;
};

Where whereClause(const AuditFilter& filter)
{
    Where where{" WHERE 1 = 1", {}};
    if (!filter.from.empty()) {
        where.sql += " AND time >= ?";
        where.values.push_back(filter.from);
    }
    if (!filter.to.empty()) {
        where.sql += " AND time < ?";
        where.values.push_back(filter.to);
    }
    if (!filter.actor.empty()) {
        where.sql += " AND actor = ?";
        where.values.push_back(filter.actor);
    }
    if (!filter.action.empty()) {
        if (filter.action.back() == '.') {
            // substr instead of LIKE: action names must not be read as patterns.
            where.sql += " AND substr(action, 1, ?) = ?";
            where.values.push_back(std::to_string(filter.action.size()));
        }
        else {
            where.sql += " AND action = ?";
        }
        where.values.push_back(filter.action);
    }
    if (!filter.outcome.empty()) {
        where.sql += " AND outcome = ?";
        where.values.push_back(filter.outcome);
    }
    if (filter.fromSeq > 0) {
        where.sql += " AND seq >= CAST(? AS INTEGER)";
        where.values.push_back(std::to_string(filter.fromSeq));
    }
    if (filter.throughSeq > 0) {
        where.sql += " AND seq <= CAST(? AS INTEGER)";
        where.values.push_back(std::to_string(filter.throughSeq));
    }
    return where;
}

/// `SELECT <what> FROM audit_log WHERE <filter><rest>` with the filter's values bound;
/// the caller binds the placeholders of `rest`. `where` must outlive the statement.
Poco::Data::Statement selectFiltered(Poco::Data::Session& session, const std::string& what,
                                     Where& where, const std::string& rest)
{
    Poco::Data::Statement statement(session);
    statement << "SELECT " + what + " FROM audit_log" + where.sql + rest;
    for (auto& value : where.values)
        statement, use(value);
    return statement;
}

bool equalConstantTime(const std::string& a, const std::string& b)
{
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace

const std::string AuditLog::kGenesisHash(64, '0');

AuditLog::AuditLog(Database& database, std::string key, Clock clock, AuditRepeatPolicy repeats)
    : database_(database), key_(std::move(key)), clock_(std::move(clock)),
      repeats_(std::make_unique<AuditRepeatFolder>(repeats))
{}

AuditLog::~AuditLog()
{
    // Counts still open are history too. The database outlives the log (it must anyway).
    try {
        flushRepeats(true);
    }
    catch (const std::exception& e) {
        log::error(Poco::Logger::get("storage.audit"), "audit.fold_failed",
                   std::string("folded audit events could not be written: ") + e.what(), {{"error", e.what()}});
    }
}

std::string AuditLog::canonicalContent(const AuditEntry& entry)
{
    std::string out;
    netstring(out, std::to_string(entry.seq));
    netstring(out, entry.time);
    netstring(out, entry.event.actor);
    netstring(out, entry.event.sourceAddress);
    netstring(out, entry.event.action);
    netstring(out, entry.event.target);
    netstring(out, entry.event.outcome);
    netstring(out, entry.event.details);
    return out;
}

std::string AuditLog::chainHash(const AuditEntry& entry)
{
    Poco::Crypto::DigestEngine sha256("SHA256");
    sha256.update(entry.prevHash);
    sha256.update(canonicalContent(entry));
    return Poco::DigestEngine::digestToHex(sha256.digest());
}

std::string AuditLog::mac(const std::string& text) const
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
         reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest, &length);
    return Poco::DigestEngine::digestToHex(Poco::DigestEngine::Digest(digest, digest + length));
}

std::string auditTime(std::chrono::system_clock::time_point time)
{
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
    return Poco::DateTimeFormatter::format(Poco::Timestamp(micros), "%Y-%m-%dT%H:%M:%S.%iZ");
}

std::string AuditLog::timestamp() const
{
    return auditTime(clock_());
}

std::optional<AuditEntry> AuditLog::append(const AuditEvent& event)
{
    std::lock_guard lock(appendMutex_);
    std::vector<AuditRepeatSummary> due;
    const bool record = repeats_->admit(event, clock_(), due);
    for (const auto& summary : due)
        appendLocked(summary.asEvent());
    if (!record)
        return std::nullopt;
    return appendLocked(event);
}

void AuditLog::flushRepeats(bool everything)
{
    std::lock_guard lock(appendMutex_);
    for (const auto& summary : everything ? repeats_->takeAll() : repeats_->takeDue(clock_()))
        appendLocked(summary.asEvent());
}

AuditEntry AuditLog::appendLocked(const AuditEvent& event)
{
    auto session = database_.session();
    Transaction transaction(session);

    std::vector<Poco::Tuple<Poco::Int64, std::string>> last;
    session << "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", into(last), now;
    if (last.empty())
        session << "SELECT seq, hash FROM audit_checkpoint ORDER BY seq DESC LIMIT 1", into(last),
            now;

    AuditEntry entry;
    entry.seq = last.empty() ? 1 : last.front().get<0>() + 1;
    entry.time = timestamp();
    entry.event = event;
    entry.prevHash = last.empty() ? kGenesisHash : last.front().get<1>();
    entry.hash = chainHash(entry);

    Poco::Int64 seq = entry.seq;
    auto copy = entry;
    session << "INSERT INTO audit_log (" + std::string(kColumns) +
                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        use(seq), use(copy.time), use(copy.event.actor), use(copy.event.sourceAddress),
        use(copy.event.action), use(copy.event.target), use(copy.event.outcome),
        use(copy.event.details), use(copy.prevHash), use(copy.hash), now;
    std::string anchorMac = mac("head|" + std::to_string(entry.seq) + "|" + entry.hash);
    session << "INSERT OR REPLACE INTO audit_anchor (id, head_seq, head_hash, mac) "
               "VALUES (1, ?, ?, ?)",
        use(seq), use(copy.hash), use(anchorMac), now;
    transaction.commit();
    return entry;
}

std::vector<AuditEntry> AuditLog::query(const AuditFilter& filter, std::int64_t offset,
                                        std::int64_t limit)
{
    auto session = database_.session();
    auto where = whereClause(filter);
    std::vector<Row> rows;
    Poco::Int64 count = limit;
    Poco::Int64 from = offset;
    auto statement = selectFiltered(session, kColumns, where, " ORDER BY seq LIMIT ? OFFSET ?");
    statement, use(count), use(from), into(rows);
    statement.execute();
    std::vector<AuditEntry> entries;
    entries.reserve(rows.size());
    for (const auto& row : rows)
        entries.push_back(fromRow(row));
    return entries;
}

std::int64_t AuditLog::count(const AuditFilter& filter)
{
    auto session = database_.session();
    auto where = whereClause(filter);
    Poco::Int64 total = 0;
    auto statement = selectFiltered(session, "count(*)", where, "");
    statement, into(total);
    statement.execute();
    return total;
}

void AuditLog::forEach(const AuditFilter& filter,
                       const std::function<void(const AuditEntry&)>& visit)
{
    // Keyset pagination on seq: stable even while entries are being appended.
    std::int64_t after = 0;
    for (;;) {
        auto session = database_.session();
        auto where = whereClause(filter);
        std::vector<Row> rows;
        Poco::Int64 afterSeq = after;
        Poco::Int64 batch = kBatch;
        auto statement =
            selectFiltered(session, kColumns, where, " AND seq > ? ORDER BY seq LIMIT ?");
        statement, use(afterSeq), use(batch), into(rows);
        statement.execute();
        for (const auto& row : rows)
            visit(fromRow(row));
        if (static_cast<std::int64_t>(rows.size()) < kBatch)
            return;
        after = rows.back().get<0>();
    }
}

AuditHead AuditLog::head()
{
    auto session = database_.session();
    std::vector<Poco::Tuple<Poco::Int64, std::string>> last;
    session << "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", into(last), now;
    if (last.empty())
        session << "SELECT seq, hash FROM audit_checkpoint ORDER BY seq DESC LIMIT 1", into(last), now;
    if (last.empty())
        return {};
    return {last.front().get<0>(), last.front().get<1>()};
}

AuditVerification AuditLog::verify()
{
    // One read transaction: the checkpoint, every batch of entries and the anchor come from
    // the same WAL snapshot, so appends or pruning meanwhile cannot look like tampering.
    auto session = database_.session();
    session << "BEGIN", now;
    struct EndRead
    {
        Poco::Data::Session& session;
        ~EndRead()
        {
            try {
                session << "COMMIT", now;
            }
            catch (const Poco::Exception& e) {
                log::warning(Poco::Logger::get("storage.audit"), "audit.verify_read_failed",
                             "ending the verification read: " + e.displayText(), {{"error", e.displayText()}});
            }
        }
    } endRead{session};
    return verifyIn(session);
}

AuditVerification AuditLog::verifyIn(Poco::Data::Session& session)
{
    AuditVerification result;
    const auto fail = [&result](std::int64_t seq, std::string problem) {
        result.ok = false;
        result.firstBadSeq = seq;
        result.problem = std::move(problem);
        return result;
    };

    std::int64_t expectedSeq = 1;
    std::string expectedPrev = kGenesisHash;
    {
        using Checkpoint = Poco::Tuple<Poco::Int64, std::string, Poco::Int64, std::string, std::string>;
        std::vector<Checkpoint> checkpoints;
        session << "SELECT seq, hash, pruned, created_at, mac FROM audit_checkpoint "
                   "ORDER BY seq DESC LIMIT 1",
            into(checkpoints), now;
        if (!checkpoints.empty()) {
            const auto& c = checkpoints.front();
            const auto expectedMac = mac("checkpoint|" + std::to_string(c.get<0>()) + "|" +
                                         c.get<1>() + "|" + std::to_string(c.get<2>()) + "|" +
                                         c.get<3>());
            if (!equalConstantTime(expectedMac, c.get<4>()))
                return fail(c.get<0>(), "the retention checkpoint at entry " +
                                            std::to_string(c.get<0>()) +
                                            " was altered (its MAC does not match)");
            expectedSeq = c.get<0>() + 1;
            expectedPrev = c.get<1>();
        }
    }

    std::int64_t lastSeq = expectedSeq - 1;
    std::string lastHash = expectedPrev;
    std::int64_t after = 0;
    for (;;) {
        std::vector<Row> rows;
        Poco::Int64 afterSeq = after;
        Poco::Int64 batch = kBatch;
        session << "SELECT " + std::string(kColumns) + " FROM audit_log WHERE seq > ? ORDER BY seq "
                   "LIMIT ?",
            use(afterSeq), use(batch), into(rows), now;
        for (const auto& row : rows) {
            const auto entry = fromRow(row);
            const auto seq = std::to_string(entry.seq);
            if (entry.seq < expectedSeq)
                return fail(entry.seq, "entry " + seq + " lies before the retention checkpoint "
                                       "(it was inserted)");
            if (entry.seq > expectedSeq)
                return fail(expectedSeq, "entry " + std::to_string(expectedSeq) +
                                             " was removed (the log jumps from entry " +
                                             std::to_string(expectedSeq - 1) + " to entry " + seq + ")");
            if (chainHash(entry) != entry.hash)
                return fail(entry.seq, "entry " + seq + " was altered or inserted (its content "
                                       "does not match its hash)");
            if (entry.prevHash != expectedPrev)
                return fail(entry.seq - 1, "entry " + std::to_string(entry.seq - 1) +
                                               " was altered or replaced (entry " + seq +
                                               " records a different hash for it)");
            expectedPrev = entry.hash;
            ++expectedSeq;
            ++result.entriesChecked;
            lastSeq = entry.seq;
            lastHash = entry.hash;
        }
        if (static_cast<std::int64_t>(rows.size()) < kBatch)
            break;
        after = rows.back().get<0>();
    }

    using Anchor = Poco::Tuple<Poco::Int64, std::string, std::string>;
    std::vector<Anchor> anchors;
    session << "SELECT head_seq, head_hash, mac FROM audit_anchor WHERE id = 1", into(anchors), now;
    if (anchors.empty()) {
        if (result.entriesChecked == 0 && lastSeq == 0) {
            result.ok = true; // an empty log
            return result;
        }
        return fail(lastSeq, "the signed head of the log is missing");
    }
    const auto& anchor = anchors.front();
    if (!equalConstantTime(mac("head|" + std::to_string(anchor.get<0>()) + "|" + anchor.get<1>()),
                           anchor.get<2>()))
        return fail(anchor.get<0>(), "the signed head of the log was altered (its MAC does not "
                                     "match)");
    if (anchor.get<0>() > lastSeq)
        return fail(lastSeq + 1, "entry " + std::to_string(lastSeq + 1) + " was removed (the log "
                                 "ends at entry " + std::to_string(lastSeq) +
                                 " but its signed head is entry " + std::to_string(anchor.get<0>()) + ")");
    if (anchor.get<0>() < lastSeq)
        return fail(anchor.get<0>() + 1, "entry " + std::to_string(anchor.get<0>() + 1) +
                                             " was inserted (the signed head is entry " +
                                             std::to_string(anchor.get<0>()) + ")");
    if (anchor.get<1>() != lastHash)
        return fail(lastSeq, "entry " + std::to_string(lastSeq) +
                                 " was altered (it differs from the signed head)");
    result.ok = true;
    return result;
}

std::int64_t AuditLog::prune(std::chrono::hours retention)
{
    std::int64_t removed = 0;
    {
        std::lock_guard lock(appendMutex_);
        std::string cutoff = auditTime(clock_() - retention);
        auto session = database_.session();
        Transaction transaction(session);
        std::vector<Poco::Tuple<Poco::Int64, std::string>> last;
        session << "SELECT seq, hash FROM audit_log WHERE time < ? ORDER BY seq DESC LIMIT 1",
            use(cutoff), into(last), now;
        // Never prune the newest entry: the chain must keep at least one live link.
        Poco::Int64 newest = 0;
        session << "SELECT COALESCE(MAX(seq), 0) FROM audit_log", into(newest), now;
        if (last.empty() || last.front().get<0>() >= newest)
            return 0;
        Poco::Int64 seq = last.front().get<0>();
        std::string hash = last.front().get<1>();
        Poco::Int64 count = 0;
        session << "SELECT count(*) FROM audit_log WHERE seq <= ?", use(seq), into(count), now;
        std::string created = timestamp();
        std::string checkpointMac = mac("checkpoint|" + std::to_string(seq) + "|" + hash + "|" +
                                        std::to_string(count) + "|" + created);
        session << "INSERT INTO audit_checkpoint (seq, hash, pruned, created_at, mac) "
                   "VALUES (?, ?, ?, ?, ?)",
            use(seq), use(hash), use(count), use(created), use(checkpointMac), now;
        session << "DELETE FROM audit_log WHERE seq <= ?", use(seq), now;
        transaction.commit();
        removed = count;
    }
    append({"system", "local", "audit.prune", "audit_log", "success",
            "{\"removed\":" + std::to_string(removed) + ",\"retentionDays\":" +
                std::to_string(retention.count() / 24) + "}"});
    return removed;
}

} // namespace parley::storage
