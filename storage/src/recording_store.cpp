#include <parley/storage/database.h>
#include <parley/storage/recording_store.h>

#include "text_search.h"
#include <parley/storage/transaction.h>

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>
#include <Poco/Tuple.h>

namespace parley::storage {

using namespace Poco::Data::Keywords;

Recording RecordingStore::create(std::int64_t roomId, const std::string& roomTitle,
                                 std::optional<std::int64_t> ownerId, const std::string& startedBy, std::int64_t at,
                                 std::optional<int> retentionDays)
{
    auto session = database_.session();
    Transaction transaction(session);
    Poco::Int64 room = roomId, time = at;
    Poco::Nullable<Poco::Int64> owner;
    if (ownerId)
        owner = Poco::Int64{*ownerId};
    Poco::Nullable<int> retention;
    if (retentionDays)
        retention = *retentionDays;
    std::string title = roomTitle, by = startedBy;
    session << "INSERT INTO recordings (room_id, room_title, owner_id, started_by, started_at, state, directory, "
               "retention_days) VALUES (?, ?, ?, ?, ?, 'recording', '', ?)",
        use(room), use(title), use(owner), use(by), use(time), use(retention), now;
    Poco::Int64 id = 0;
    session << "SELECT last_insert_rowid()", into(id), now;
    std::string directory = std::to_string(id);
    session << "UPDATE recordings SET directory = ? WHERE id = ?", use(directory), use(id), now;
    transaction.commit();
    return *find(id);
}

void RecordingStore::finish(std::int64_t id, std::int64_t at, const std::vector<StoredTrack>& tracks,
                            const std::string& error)
{
    auto session = database_.session();
    Transaction transaction(session);
    Poco::Int64 key = id, time = at;
    std::string state = tracks.empty() && !error.empty() ? "failed" : "recorded";
    std::string message = error;
    // Nothing to compose without tracks (nobody sent media while it ran).
    std::string composition = tracks.empty() ? "failed" : "pending";
    std::string composeError = tracks.empty() ? "no media was recorded" : "";
    session << "UPDATE recordings SET stopped_at = ?, state = ?, error = ?, composition = ?, compose_error = ? "
               "WHERE id = ?",
        use(time), use(state), use(message), use(composition), use(composeError), use(key), now;
    for (const auto& track : tracks) {
        std::string file = track.file, trackId = track.trackId, label = track.label, codec = track.codec,
                    name = track.displayName, sha256 = track.sha256;
        Poco::Int64 first = track.firstMs, last = track.lastMs, frames = track.frames;
        session << "INSERT INTO recording_tracks (recording_id, file, track_id, label, codec, first_ms, last_ms, "
                   "frames, display_name, sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            use(key), use(file), use(trackId), use(label), use(codec), use(first), use(last), use(frames), use(name),
            use(sha256), now;
    }
    transaction.commit();
}

std::optional<Recording> RecordingStore::find(std::int64_t id)
{
    auto session = database_.session();
    Poco::Data::Statement statement(session);
    Poco::Int64 key = id;
    statement << "SELECT id, room_id, room_title, owner_id, started_by, started_at, stopped_at, state, directory, "
                 "error, composition, compose_progress, compose_attempts, compose_error, compose_seconds, file, "
                 "duration_ms, size_bytes, sha256, integrity, verified_at, retention_days FROM recordings WHERE id = ?",
        use(key);
    statement.execute();
    Poco::Data::RecordSet rows(statement);
    if (rows.rowCount() == 0)
        return std::nullopt;
    const auto integer = [&rows](const char* column) { return rows[column].convert<Poco::Int64>(); };
    const auto text = [&rows](const char* column) { return rows[column].convert<std::string>(); };
    const auto optionalInteger = [&rows](const char* column) -> std::optional<std::int64_t> {
        if (rows[column].isEmpty())
            return std::nullopt;
        return rows[column].convert<Poco::Int64>();
    };
    Recording recording;
    recording.id = integer("id");
    recording.roomId = integer("room_id");
    recording.roomTitle = text("room_title");
    recording.ownerId = optionalInteger("owner_id");
    recording.startedBy = text("started_by");
    recording.startedAt = integer("started_at");
    recording.stoppedAt = optionalInteger("stopped_at");
    recording.state = text("state");
    recording.directory = text("directory");
    recording.error = text("error");
    recording.composition = text("composition");
    recording.composeProgress = rows["compose_progress"].convert<double>();
    recording.composeAttempts = static_cast<int>(integer("compose_attempts"));
    recording.composeError = text("compose_error");
    if (!rows["compose_seconds"].isEmpty())
        recording.composeSeconds = rows["compose_seconds"].convert<double>();
    recording.file = text("file");
    recording.durationMs = optionalInteger("duration_ms");
    recording.sizeBytes = optionalInteger("size_bytes");
    recording.sha256 = text("sha256");
    recording.integrity = text("integrity");
    recording.verifiedAt = optionalInteger("verified_at");
    if (const auto days = optionalInteger("retention_days"))
        recording.retentionDays = static_cast<int>(*days);

    std::vector<Poco::Tuple<std::string, std::string, std::string, std::string, Poco::Int64, Poco::Int64, Poco::Int64,
                            std::string, std::string>>
        tracks;
    Poco::Data::Statement trackStatement(session);
    trackStatement << "SELECT file, track_id, label, codec, first_ms, last_ms, frames, display_name, sha256 "
                      "FROM recording_tracks WHERE recording_id = ? ORDER BY file",
        use(key), into(tracks);
    trackStatement.execute();
    for (const auto& track : tracks)
        recording.tracks.push_back({track.get<0>(), track.get<1>(), track.get<2>(), track.get<3>(), track.get<4>(),
                                    track.get<5>(), track.get<6>(), track.get<7>(), track.get<8>()});
    return recording;
}

std::vector<Recording> RecordingStore::findAll(const std::vector<std::int64_t>& ids)
{
    std::vector<Recording> recordings;
    for (const auto id : ids)
        if (auto recording = find(id))
            recordings.push_back(std::move(*recording));
    return recordings;
}

std::vector<Recording> RecordingStore::all()
{
    auto session = database_.session();
    std::vector<std::int64_t> ids;
    session << "SELECT id FROM recordings ORDER BY id DESC", into(ids), now;
    return findAll(ids);
}

namespace {

// Room title, starter or owner contains the folded text ("" matches every recording).
constexpr const char* kRecordingMatches =
    "(instr(parley_fold(room_title), ?) > 0 OR instr(parley_fold(started_by), ?) > 0 OR "
    "owner_id IN (SELECT id FROM users WHERE instr(parley_fold(username), ?) > 0 OR "
    "instr(parley_fold(display_name), ?) > 0))";

} // namespace

std::vector<Recording> RecordingStore::search(std::string_view text, std::int64_t offset, std::int64_t limit)
{
    auto session = database_.session();
    std::string a = foldCase(text), b = a, c = a, d = a;
    Poco::Int64 from = offset, count = limit;
    std::vector<std::int64_t> ids;
    session << "SELECT id FROM recordings WHERE " + std::string(kRecordingMatches) + " ORDER BY id DESC LIMIT ? OFFSET ?",
        use(a), use(b), use(c), use(d), use(count), use(from), into(ids), now;
    return findAll(ids);
}

std::int64_t RecordingStore::count(std::string_view text)
{
    auto session = database_.session();
    std::string a = foldCase(text), b = a, c = a, d = a;
    Poco::Int64 total = 0;
    session << "SELECT count(*) FROM recordings WHERE " + std::string(kRecordingMatches), use(a), use(b), use(c),
        use(d), into(total), now;
    return total;
}

RecordingTally RecordingStore::tally()
{
    auto session = database_.session();
    RecordingTally tally;
    Poco::Int64 recording = 0, composing = 0, queued = 0, failed = 0, bytes = 0;
    session << "SELECT "
               "  COALESCE(SUM(state = 'recording'), 0), "
               "  COALESCE(SUM(state <> 'recording' AND composition = 'composing'), 0), "
               "  COALESCE(SUM(state = 'recorded' AND composition = 'pending'), 0), "
               "  COALESCE(SUM(composition = 'failed' OR state = 'failed'), 0), "
               "  COALESCE(SUM(size_bytes), 0) "
               "FROM recordings",
        into(recording), into(composing), into(queued), into(failed), into(bytes), now;
    tally.recording = recording;
    tally.composing = composing;
    tally.queued = queued;
    tally.failed = failed;
    tally.composedBytes = bytes;
    return tally;
}

std::vector<Recording> RecordingStore::visibleTo(std::int64_t userId)
{
    auto session = database_.session();
    Poco::Int64 user = userId;
    std::vector<std::int64_t> ids;
    session << "SELECT id FROM recordings WHERE owner_id = ? OR id IN "
               "(SELECT recording_id FROM recording_shares WHERE user_id = ?) ORDER BY id DESC",
        use(user), use(user), into(ids), now;
    return findAll(ids);
}

bool RecordingStore::isSharedWith(std::int64_t id, std::int64_t userId)
{
    auto session = database_.session();
    Poco::Int64 key = id, user = userId;
    int count = 0;
    session << "SELECT COUNT(*) FROM recording_shares WHERE recording_id = ? AND user_id = ?", use(key), use(user),
        into(count), now;
    return count > 0;
}

int RecordingStore::markInterrupted(std::int64_t at)
{
    auto session = database_.session();
    Poco::Int64 time = at;
    Poco::Data::Statement statement(session);
    statement << "UPDATE recordings SET state = 'recorded', stopped_at = ?, error = 'interrupted' "
                 "WHERE state = 'recording'",
        use(time);
    return static_cast<int>(statement.execute());
}

std::vector<std::int64_t> RecordingStore::compositionsToRun(int maxAttempts)
{
    auto session = database_.session();
    int attempts = maxAttempts;
    std::vector<std::int64_t> ids;
    session << "SELECT id FROM recordings WHERE state = 'recorded' AND composition IN ('pending', 'composing') "
               "AND compose_attempts < ? ORDER BY id",
        use(attempts), into(ids), now;
    return ids;
}

void RecordingStore::beginComposition(std::int64_t id)
{
    auto session = database_.session();
    Poco::Int64 key = id;
    session << "UPDATE recordings SET composition = 'composing', compose_attempts = compose_attempts + 1, "
               "compose_progress = 0, compose_error = '' WHERE id = ?",
        use(key), now;
}

void RecordingStore::setComposeProgress(std::int64_t id, double progress)
{
    auto session = database_.session();
    Poco::Int64 key = id;
    double value = progress;
    session << "UPDATE recordings SET compose_progress = ? WHERE id = ?", use(value), use(key), now;
}

void RecordingStore::finishComposition(std::int64_t id, const std::string& file, std::int64_t durationMs,
                                       std::int64_t sizeBytes, const std::string& sha256, double seconds)
{
    auto session = database_.session();
    Poco::Int64 key = id, duration = durationMs, size = sizeBytes;
    std::string path = file, digest = sha256;
    double took = seconds;
    session << "UPDATE recordings SET composition = 'done', compose_progress = 1, compose_error = '', file = ?, "
               "duration_ms = ?, size_bytes = ?, sha256 = ?, compose_seconds = ? WHERE id = ?",
        use(path), use(duration), use(size), use(digest), use(took), use(key), now;
}

void RecordingStore::cancelComposition(std::int64_t id)
{
    auto session = database_.session();
    Poco::Int64 key = id;
    session << "UPDATE recordings SET composition = 'pending', compose_attempts = MAX(compose_attempts - 1, 0) "
               "WHERE id = ?",
        use(key), now;
}

void RecordingStore::failComposition(std::int64_t id, const std::string& error, bool retry)
{
    auto session = database_.session();
    Poco::Int64 key = id;
    std::string message = error, state = retry ? "pending" : "failed";
    session << "UPDATE recordings SET composition = ?, compose_error = ? WHERE id = ?", use(state), use(message),
        use(key), now;
}

void RecordingStore::removeTracks(std::int64_t id)
{
    auto session = database_.session();
    Poco::Int64 key = id;
    session << "DELETE FROM recording_tracks WHERE recording_id = ?", use(key), now;
}

void RecordingStore::setTrackHashes(std::int64_t id, const std::vector<StoredTrack>& tracks)
{
    auto session = database_.session();
    Transaction transaction(session);
    Poco::Int64 key = id;
    for (const auto& track : tracks) {
        std::string file = track.file, sha256 = track.sha256;
        session << "UPDATE recording_tracks SET sha256 = ? WHERE recording_id = ? AND file = ?", use(sha256), use(key),
            use(file), now;
    }
    transaction.commit();
}

void RecordingStore::setIntegrity(std::int64_t id, const std::string& result, std::int64_t at)
{
    auto session = database_.session();
    Poco::Int64 key = id, time = at;
    std::string value = result;
    session << "UPDATE recordings SET integrity = ?, verified_at = ? WHERE id = ?", use(value), use(time), use(key),
        now;
}

std::vector<std::int64_t> RecordingStore::expired(std::int64_t at, int defaultDays)
{
    auto session = database_.session();
    Poco::Int64 time = at;
    int days = defaultDays;
    std::vector<std::int64_t> ids;
    // Not while its playable file is being made: the composition would put it back.
    session << "SELECT id FROM recordings WHERE stopped_at IS NOT NULL AND state <> 'recording' AND "
               "composition <> 'composing' AND "
               "COALESCE(retention_days, ?) > 0 AND stopped_at + COALESCE(retention_days, ?) * 86400 <= ? ORDER BY id",
        use(days), use(days), use(time), into(ids), now;
    return ids;
}

bool RecordingStore::share(std::int64_t id, std::int64_t userId, const std::string& grantedBy, std::int64_t at)
{
    auto session = database_.session();
    Poco::Int64 key = id, user = userId, time = at;
    std::string by = grantedBy;
    Poco::Data::Statement statement(session);
    statement << "INSERT OR IGNORE INTO recording_shares (recording_id, user_id, granted_by, granted_at) "
                 "VALUES (?, ?, ?, ?)",
        use(key), use(user), use(by), use(time);
    return statement.execute() > 0;
}

bool RecordingStore::unshare(std::int64_t id, std::int64_t userId)
{
    auto session = database_.session();
    Poco::Int64 key = id, user = userId;
    Poco::Data::Statement statement(session);
    statement << "DELETE FROM recording_shares WHERE recording_id = ? AND user_id = ?", use(key), use(user);
    return statement.execute() > 0;
}

std::vector<RecordingShare> RecordingStore::shares(std::int64_t id)
{
    auto session = database_.session();
    Poco::Int64 key = id;
    std::vector<Poco::Tuple<Poco::Int64, std::string, std::string, Poco::Int64>> rows;
    session << "SELECT s.user_id, u.username, s.granted_by, s.granted_at FROM recording_shares s "
               "JOIN users u ON u.id = s.user_id WHERE s.recording_id = ? ORDER BY u.username",
        use(key), into(rows), now;
    std::vector<RecordingShare> result;
    for (const auto& row : rows)
        result.push_back({row.get<0>(), row.get<1>(), row.get<2>(), row.get<3>()});
    return result;
}

void RecordingStore::remove(std::int64_t id)
{
    auto session = database_.session();
    Transaction transaction(session);
    Poco::Int64 key = id;
    session << "DELETE FROM recording_shares WHERE recording_id = ?", use(key), now;
    session << "DELETE FROM recording_tracks WHERE recording_id = ?", use(key), now;
    session << "DELETE FROM recordings WHERE id = ?", use(key), now;
    transaction.commit();
}

} // namespace parley::storage
