#include <parley/portal/recordings/recording_service.h>

#include <parley/log/log_event.h>

#include <parley/portal/http/unix_time.h>
#include <parley/storage/audit_details.h>

#include <parley/recorder/ffmpeg_log.h>
#include <parley/recorder/room_recorder.h>
#include <parley/router/media_router.h>
#include <parley/router/media_tap.h>
#include <parley/storage/audit_log.h>
#include <parley/storage/recording_store.h>
#include <parley/volume/recording_directory.h>
#include <parley/volume/volume_error.h>

#include <Poco/Logger.h>

#include <vector>

namespace parley::portal {

namespace {

Poco::Logger& logger()
{
    return Poco::Logger::get("portal.recording");
}

} // namespace

struct RecordingService::Active
{
    storage::Recording recording;
    std::unique_ptr<volume::RecordingDirectory> directory;
    std::shared_ptr<router::MediaTap> tap;
    std::unique_ptr<recorder::RoomRecorder> recorder;
    std::map<std::string, std::string> names; ///< participant id -> display name; under mutex_
};

RecordingService::RecordingService(storage::Database& database, storage::AuditLog& audit,
                                   router::MediaRouter* media, std::filesystem::path volume,
                                   std::function<void()> stopped, StoppedItself stoppedItself)
    : database_(database), audit_(audit), media_(media), volume_(std::move(volume)), stopped_(std::move(stopped)),
      stoppedItself_(std::move(stoppedItself))
{
    // FFmpeg's messages (writing and composing recordings) into the server's log.
    recorder::routeFfmpegLogs();
    // A recording the server was writing when it stopped ends there; its files are kept.
    const int interrupted = storage::RecordingStore(database_).markInterrupted(unixNow());
    if (interrupted > 0)
        log::warning(logger(), "recording.interrupted",
                     std::to_string(interrupted) + " recording(s) were interrupted by the last stop of the server",
                     {{"recordings", interrupted}});
    watchdog_ = std::thread([this] { watch(); });
}

RecordingService::~RecordingService()
{
    {
        std::lock_guard lock(watchMutex_);
        watchStopping_ = true;
    }
    watchWake_.notify_all();
    watchdog_.join();
    stopAll("server stopping");
}

void RecordingService::watch()
{
    std::unique_lock lock(watchMutex_);
    while (!watchWake_.wait_for(lock, std::chrono::seconds(1), [this] { return watchStopping_; })) {
        std::vector<std::pair<std::int64_t, std::string>> failing;
        {
            std::lock_guard activeLock(mutex_);
            for (const auto& [roomId, active] : active_) {
                std::string reason = active->recorder->error();
                if (reason.empty()) {
                    try {
                        const auto free = active->directory->freeBytes();
                        if (free < kStopFreeBytes)
                            reason = "the recording volume is full (" + std::to_string(free / (1024 * 1024)) +
                                     " MiB left)";
                    }
                    catch (const std::exception& e) {
                        reason = e.what();
                    }
                }
                if (!reason.empty())
                    failing.emplace_back(roomId, reason);
            }
        }
        for (const auto& [roomId, reason] : failing) {
            log::error(logger(), "recording.stopping",
                       "stopping the recording of room " + std::to_string(roomId) + ": " + reason,
                       {{"room", roomId}, {"reason", reason}});
            try {
                if (stop(roomId, reason) && stoppedItself_)
                    stoppedItself_(roomId, reason);
            }
            catch (const std::exception& e) {
                log::error(logger(), "recording.stop_failed",
                           "could not stop the recording of room " + std::to_string(roomId) + ": " + e.what(),
                           {{"room", roomId}, {"error", e.what()}});
            }
        }
    }
}

RecordingService::Started RecordingService::start(std::int64_t roomId, const std::string& roomTitle,
                                                  std::optional<std::int64_t> ownerId, const std::string& startedBy,
                                                  std::optional<int> retentionDays,
                                                  std::map<std::string, std::string> names)
{
    std::lock_guard lock(mutex_);
    if (active_.contains(roomId))
        throw RecordingError("already_recording", "this meeting is being recorded already");
    if (!media_)
        throw RecordingError("media_unavailable", "the media router is off (router.enabled=false)");
    auto active = std::make_unique<Active>();
    active->names = std::move(names);
    try {
        active->directory =
            std::make_unique<volume::RecordingDirectory>(volume::RecordingDirectory::open(volume_));
    }
    catch (const volume::VolumeError& e) {
        throw RecordingError("recording_unavailable", e.what());
    }
    const auto& volume = active->directory->volume();
    if (volume.freeBytes < kMinimumFreeBytes)
        throw RecordingError("recording_unavailable",
                             "the recording volume is full: " + std::to_string(volume.freeBytes / (1024 * 1024)) +
                                 " MiB free");
    storage::RecordingStore store(database_);
    active->recording = store.create(roomId, roomTitle, ownerId, startedBy, unixNow(), retentionDays);
    active->tap = std::make_shared<router::MediaTap>(8192);
    auto* directory = active->directory.get();
    const std::string prefix = active->recording.directory;
    auto* media = media_;
    active->recorder = std::make_unique<recorder::RoomRecorder>(
        active->tap,
        [directory, prefix](const std::string& name) { return directory->createFile(prefix + "/" + name).release(); },
        [media](const std::string& trackId) { media->requestKeyframe(trackId); });
    media_->startTap(roomId, active->tap);
    const Started started{active->recording.id, active->recording.startedAt};
    active_[roomId] = std::move(active);
    return started;
}

std::optional<std::int64_t> RecordingService::stop(std::int64_t roomId, const std::string& reason)
{
    std::unique_ptr<Active> active;
    {
        std::lock_guard lock(mutex_);
        const auto found = active_.find(roomId);
        if (found == active_.end())
            return std::nullopt;
        active = std::move(found->second);
        active_.erase(found);
    }
    media_->stopTap(roomId);
    const auto tracks = active->recorder->stop();
    std::vector<storage::StoredTrack> stored;
    for (const auto& track : tracks) {
        const auto name = active->names.find(track.trackId.substr(0, track.trackId.find('/')));
        stored.push_back({track.file, track.trackId, track.label, track.codec, track.firstMs, track.lastMs,
                          static_cast<std::int64_t>(track.frames),
                          name == active->names.end() ? std::string() : name->second, std::string()});
    }
    const std::string error = active->recorder->error();
    storage::RecordingStore(database_).finish(active->recording.id, unixNow(), stored, error);
    if (!error.empty())
        log::error(logger(), "recording.failed",
                   "recording " + std::to_string(active->recording.id) + " of room " + std::to_string(roomId) + ": " +
                       error,
                   {{"recording", active->recording.id}, {"room", roomId}, {"error", error}});
    if (!reason.empty())
        audit_.append({"system", "local", "recording.stop", "room:" + std::to_string(roomId), "success",
                       storage::AuditDetails()
                           .add("recording", active->recording.id)
                           .add("reason", reason)
                           .add("tracks", static_cast<std::int64_t>(stored.size()))
                           .text()});
    if (stopped_)
        stopped_();
    return active->recording.id;
}

void RecordingService::noteName(std::int64_t roomId, const std::string& participantId, const std::string& displayName)
{
    std::lock_guard lock(mutex_);
    const auto found = active_.find(roomId);
    if (found != active_.end())
        found->second->names[participantId] = displayName;
}

std::optional<std::int64_t> RecordingService::activeSince(std::int64_t roomId) const
{
    std::lock_guard lock(mutex_);
    const auto found = active_.find(roomId);
    if (found == active_.end())
        return std::nullopt;
    return found->second->recording.startedAt;
}

void RecordingService::stopAll(const std::string& reason)
{
    std::vector<std::int64_t> rooms;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [roomId, active] : active_)
            rooms.push_back(roomId);
    }
    for (const auto roomId : rooms) {
        try {
            stop(roomId, reason);
        }
        catch (const std::exception& e) {
            log::error(logger(), "recording.stop_failed",
                       "stopping the recording of room " + std::to_string(roomId) + ": " + e.what(),
                       {{"room", roomId}, {"error", e.what()}});
        }
    }
}

} // namespace parley::portal
