#include <parley/storage/database.h>
#include <parley/storage/recording_store.h>
#include <parley/storage/transaction.h>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>
#include <Poco/Tuple.h>

namespace parley::storage {

using namespace Poco::Data::Keywords;

Recording RecordingStore::create(std::int64_t roomId, const std::string& roomTitle,
                                 std::optional<std::int64_t> ownerId, const std::string& startedBy, std::int64_t at)
{
    auto session = database_.session();
    Transaction transaction(session);
    Poco::Int64 room = roomId, time = at;
    Poco::Nullable<Poco::Int64> owner;
    if (ownerId)
        owner = Poco::Int64{*ownerId};
    std::string title = roomTitle, by = startedBy;
    session << "INSERT INTO recordings (room_id, room_title, owner_id, started_by, started_at, state, directory) "
               "VALUES (?, ?, ?, ?, ?, 'recording', '')",
        use(room), use(title), use(owner), use(by), use(time), now;
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
    session << "UPDATE recordings SET stopped_at = ?, state = ?, error = ? WHERE id = ?", use(time), use(state),
        use(message), use(key), now;
    for (const auto& track : tracks) {
        std::string file = track.file, trackId = track.trackId, label = track.label, codec = track.codec;
        Poco::Int64 first = track.firstMs, last = track.lastMs, frames = track.frames;
        session << "INSERT INTO recording_tracks (recording_id, file, track_id, label, codec, first_ms, last_ms, "
                   "frames) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            use(key), use(file), use(trackId), use(label), use(codec), use(first), use(last), use(frames), now;
    }
    transaction.commit();
}

std::optional<Recording> RecordingStore::find(std::int64_t id)
{
    auto session = database_.session();
    Poco::Int64 key = id;
    Poco::Data::Statement statement(session);
    std::vector<Poco::Tuple<Poco::Int64, Poco::Int64, std::string, Poco::Nullable<Poco::Int64>, std::string,
                            Poco::Int64, Poco::Nullable<Poco::Int64>, std::string, std::string, std::string>>
        rows;
    statement << "SELECT id, room_id, room_title, owner_id, started_by, started_at, stopped_at, state, directory, "
                 "error FROM recordings WHERE id = ?",
        use(key), into(rows);
    statement.execute();
    if (rows.empty())
        return std::nullopt;
    const auto& row = rows.front();
    Recording recording;
    recording.id = row.get<0>();
    recording.roomId = row.get<1>();
    recording.roomTitle = row.get<2>();
    if (!row.get<3>().isNull())
        recording.ownerId = row.get<3>().value();
    recording.startedBy = row.get<4>();
    recording.startedAt = row.get<5>();
    if (!row.get<6>().isNull())
        recording.stoppedAt = row.get<6>().value();
    recording.state = row.get<7>();
    recording.directory = row.get<8>();
    recording.error = row.get<9>();
    std::vector<Poco::Tuple<std::string, std::string, std::string, std::string, Poco::Int64, Poco::Int64, Poco::Int64>>
        tracks;
    Poco::Data::Statement trackStatement(session);
    trackStatement << "SELECT file, track_id, label, codec, first_ms, last_ms, frames FROM recording_tracks "
                      "WHERE recording_id = ? ORDER BY file",
        use(key), into(tracks);
    trackStatement.execute();
    for (const auto& track : tracks)
        recording.tracks.push_back({track.get<0>(), track.get<1>(), track.get<2>(), track.get<3>(), track.get<4>(),
                                    track.get<5>(), track.get<6>()});
    return recording;
}

std::vector<Recording> RecordingStore::forRoom(std::int64_t roomId)
{
    auto session = database_.session();
    Poco::Int64 key = roomId;
    std::vector<Poco::Int64> ids;
    session << "SELECT id FROM recordings WHERE room_id = ? ORDER BY id", use(key), into(ids), now;
    std::vector<Recording> recordings;
    for (const auto id : ids)
        if (auto recording = find(id))
            recordings.push_back(std::move(*recording));
    return recordings;
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

} // namespace parley::storage
