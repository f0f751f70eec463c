#include <parley/portal/recordings/recording_library.h>

#include <parley/log/log_event.h>

#include <Poco/Format.h>

#include <parley/portal/http/unix_time.h>
#include <parley/storage/audit_details.h>

#include <parley/recorder/recording_composer.h>
#include <parley/storage/audit_log.h>
#include <parley/volume/volume_error.h>

#include <Poco/Crypto/DigestEngine.h>
#include <Poco/Logger.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <regex>
#include <sys/stat.h>
#include <unistd.h>

namespace parley::portal {

namespace {

Poco::Logger& logger()
{
    return Poco::Logger::get("portal.recording");
}

std::string target(const storage::Recording& recording)
{
    return "recording:" + std::to_string(recording.id);
}

} // namespace

std::string sha256OfFile(int fd)
{
    Poco::Crypto::DigestEngine digest("SHA256");
    std::array<char, 256 * 1024> buffer{};
    off_t offset = 0;
    for (;;) {
        const ssize_t got = ::pread(fd, buffer.data(), buffer.size(), offset);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            throw std::runtime_error(std::string("cannot read the recording: ") + std::strerror(errno));
        if (got == 0)
            break;
        digest.update(buffer.data(), static_cast<std::size_t>(got));
        offset += got;
    }
    return Poco::DigestEngine::digestToHex(digest.digest());
}

RecordingLibrary::RecordingLibrary(storage::Database& database, storage::AuditLog& audit,
                                   std::filesystem::path volume, RecordingSettings settings)
    : database_(database), audit_(audit), volume_(std::move(volume)), settings_(settings),
      retentionDays_(settings.retentionDays)
{}

volume::RecordingDirectory RecordingLibrary::openVolume() const
{
    return volume::RecordingDirectory::open(volume_);
}

namespace {

struct CompositionCancelled : std::runtime_error
{
    CompositionCancelled() : std::runtime_error("cancelled: the server is stopping") {}
};

} // namespace

namespace {

recorder::TrackCodec codecOf(const std::string& codec)
{
    return codec == "VP8" ? recorder::TrackCodec::Vp8 : codec == "H264" ? recorder::TrackCodec::H264
                                                                        : recorder::TrackCodec::Opus;
}

/// The track files of a recording the server was writing when it stopped: its tracks were
/// never listed, but their files are in its directory ("<n>-<track>-<label>.webm|.mkv").
std::vector<storage::StoredTrack> tracksOnDisk(const volume::RecordingDirectory& volume, const std::string& directory)
{
    static const std::regex name(R"(^\d+-[A-Za-z0-9_.-]+-(audio|video|screen)\.(webm|mkv)$)");
    std::vector<storage::StoredTrack> tracks;
    for (const auto& file : volume.listFiles(directory)) {
        std::smatch match;
        if (!std::regex_match(file, match, name))
            continue;
        storage::StoredTrack track;
        track.file = file;
        track.label = match[1];
        track.codec = match[1] == "audio" ? "opus" : match[2] == "mkv" ? "H264" : "VP8";
        track.firstMs = -1;
        track.lastMs = -1; // read from the file by the composer
        track.frames = 1;
        tracks.push_back(track);
    }
    return tracks;
}

} // namespace

bool RecordingLibrary::compose(std::int64_t id, const std::atomic<bool>& cancel)
{
    storage::RecordingStore store(database_);
    const auto recording = store.find(id);
    if (!recording)
        return false;
    try {
        openVolume();
    }
    catch (const volume::VolumeError& e) {
        // Not an attempt: the job waits for the volume, with the tracks where they are.
        log::warning(logger(), "recording.compose_waiting",
                     "recording " + std::to_string(id) + " waits to be composed: " + e.what(),
                     {{"recording", id}, {"error", e.what()}});
        return false;
    }
    store.beginComposition(id);
    const auto started = std::chrono::steady_clock::now();
    const std::string partial = recording->directory + "/" + kComposedFile + ".partial";
    const std::string final = recording->directory + "/" + kComposedFile;
    std::vector<storage::StoredTrack> tracks = recording->tracks;
    try {
        const auto volume = openVolume();
        if (tracks.empty() && recording->error == "interrupted")
            tracks = tracksOnDisk(volume, recording->directory);
        std::vector<volume::FileHandle> files;
        std::vector<recorder::CompositionInput> inputs;
        files.reserve(tracks.size());
        bool hashed = false;
        for (auto& track : tracks) {
            if (track.frames <= 0)
                continue;
            files.push_back(volume.openFile(recording->directory + "/" + track.file));
            // The track files are hashed first, as the volume gives them back, so they are
            // checked like the composed file from then on.
            if (track.sha256.empty()) {
                track.sha256 = sha256OfFile(files.back().get());
                hashed = true;
            }
            recorder::CompositionInput input(files.back().get(), track.file, codecOf(track.codec), track.firstMs,
                                             track.lastMs);
            input.participant = track.trackId.substr(0, track.trackId.find('/'));
            input.displayName = track.displayName;
            input.screen = track.label == "screen";
            inputs.push_back(std::move(input));
            if (cancel)
                throw CompositionCancelled();
        }
        if (hashed && !recording->tracks.empty())
            store.setTrackHashes(id, tracks);
        // What a crash left of an earlier attempt goes first.
        volume.removeFile(partial);
        const auto output = volume.createFile(partial);
        recorder::CompositionOptions options;
        options.width = settings_.composeWidth;
        options.height = settings_.composeHeight;
        options.framesPerSecond = settings_.composeFramesPerSecond;
        options.labelFont = settings_.labelFont;
        // No track is longer than the recording was (a sender's clock cannot say otherwise).
        if (recording->stoppedAt && recording->error != "interrupted")
            options.maxDurationMs = (*recording->stoppedAt - recording->startedAt + 2) * 1000;
        double lastStored = 0;
        const auto result = recorder::composeRecording(inputs, output.get(), options, [&](double done) {
            if (cancel)
                throw CompositionCancelled();
            if (done - lastStored >= 0.05 || done >= 1.0) {
                lastStored = done;
                store.setComposeProgress(id, done);
            }
        });
        // Hashed from what the volume gives back, not from what was meant to be written.
        const auto written = volume.openFile(partial);
        const std::string digest = sha256OfFile(written.get());
        struct stat status{};
        ::fstat(written.get(), &status);
        volume.renameFile(partial, final);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        store.finishComposition(id, final, result.durationMs, status.st_size, digest, seconds);
        const double realTime = seconds > 0 ? result.durationMs / 1000.0 / seconds : 0.0;
        log::info(logger(), "recording.composed",
                  Poco::format("recording %s composed: %z tracks, %.1f s in %.1f s (%.1fx real time), %s bytes",
                               std::to_string(id), inputs.size(), result.durationMs / 1000.0, seconds, realTime,
                               std::to_string(status.st_size)),
                  {{"recording", id},
                   {"tracks", inputs.size()},
                   {"duration_s", result.durationMs / 1000.0},
                   {"compose_s", seconds},
                   {"bytes", static_cast<std::int64_t>(status.st_size)}});
        if (!result.labelError.empty())
            log::warning(logger(), "recording.names_left_out",
                         "recording " + std::to_string(id) + " was composed without names: " + result.labelError,
                         {{"recording", id}, {"error", result.labelError}});
    }
    catch (const std::exception& e) {
        try {
            openVolume().removeFile(partial);
        }
        catch (const std::exception&) {
            // The volume is gone; the next attempt removes the partial file.
        }
        if (dynamic_cast<const CompositionCancelled*>(&e)) {
            store.cancelComposition(id);
            log::info(logger(), "recording.compose_cancelled",
                      "composing recording " + std::to_string(id) +
                          ": stopped with the server, resumes at the next start",
                      {{"recording", id}});
            return false;
        }
        const bool retry = recording->composeAttempts + 1 < settings_.composeAttempts;
        store.failComposition(id, e.what(), retry);
        log::error(logger(), "recording.compose_failed",
                   "composing recording " + std::to_string(id) + " failed" + (retry ? " (will retry)" : "") + ": " +
                       e.what(),
                   {{"recording", id}, {"retry", retry}, {"error", e.what()}});
        return retry;
    }
    // Done: the composed file is in place and on record; what follows cannot undo that.
    if (!settings_.keepTracks) {
        try {
            const auto volume = openVolume();
            for (const auto& track : tracks)
                volume.removeFile(recording->directory + "/" + track.file);
            store.removeTracks(id);
        }
        catch (const std::exception& e) {
            log::warning(logger(), "recording.tracks_kept",
                         "recording " + std::to_string(id) + ": its track files could not all be removed: " + e.what(),
                         {{"recording", id}, {"error", e.what()}});
        }
    }
    return false;
}

std::string RecordingLibrary::verify(const storage::Recording& recording, const RecordingActor& actor)
{
    if (recording.composition != "done" || recording.file.empty())
        return "";
    const auto volume = openVolume();
    // Each file as "ok", "mismatch" or "missing"; the worst is the recording's result.
    const auto check = [&volume](const std::string& path, const std::string& expected, std::string& actual) {
        try {
            const auto file = volume.openFile(path);
            actual = sha256OfFile(file.get());
            return std::string(actual == expected ? "ok" : "mismatch");
        }
        catch (const volume::VolumeError& e) {
            if (e.failure() != volume::VolumeFailure::NotFound)
                throw;
            return std::string("missing");
        }
    };
    std::string actual;
    std::string result = check(recording.file, recording.sha256, actual);
    std::vector<std::string> badTracks;
    int tracksChecked = 0;
    for (const auto& track : recording.tracks) {
        if (track.sha256.empty())
            continue; // removed after composing, or never hashed (recorded before hashes were kept)
        std::string trackActual;
        const auto trackResult = check(recording.directory + "/" + track.file, track.sha256, trackActual);
        ++tracksChecked;
        if (trackResult == "ok")
            continue;
        badTracks.push_back(track.file + ": " + trackResult);
        if (result == "ok")
            result = trackResult;
    }
    storage::RecordingStore(database_).setIntegrity(recording.id, result, unixNow());
    storage::AuditDetails details;
    details.add("result", result).add("sha256", recording.sha256).add("tracksChecked", tracksChecked);
    if (actual != recording.sha256 && !actual.empty())
        details.add("actual", actual);
    if (!badTracks.empty()) {
        std::string list;
        for (const auto& bad : badTracks)
            list += (list.empty() ? "" : "; ") + bad;
        details.add("tracks", list);
    }
    audit_.append({actor.name, actor.address, "recording.verify", target(recording),
                   result == "ok" ? "success" : "failure", details.text()});
    if (result != "ok")
        log::error(logger(), "recording.integrity_failed",
                   "recording " + std::to_string(recording.id) + " failed its integrity check: " + result +
                       (badTracks.empty() ? std::string() : " (" + std::to_string(badTracks.size()) + " track files)"),
                   {{"recording", recording.id}, {"result", result}});
    return result;
}

void RecordingLibrary::remove(const storage::Recording& recording, const RecordingActor& actor,
                              const std::string& reason)
{
    // Files first: a record without files can be deleted again, files without a record
    // would be invisible.
    const auto volume = openVolume();
    volume.removeDirectory(recording.directory);
    storage::RecordingStore(database_).remove(recording.id);
    audit_.append({actor.name, actor.address, "recording.delete", target(recording), "success",
                   storage::AuditDetails()
                       .add("room", recording.roomId)
                       .add("title", recording.roomTitle)
                       .add("startedAt", recording.startedAt)
                       .add("reason", reason)
                       .text()});
}

int RecordingLibrary::applyRetention(std::int64_t now)
{
    storage::RecordingStore store(database_);
    int removed = 0;
    for (const auto id : store.expired(now, retentionDays_)) {
        const auto recording = store.find(id);
        if (!recording)
            continue;
        try {
            remove(*recording, {"system", "local"}, "retention");
            ++removed;
        }
        catch (const std::exception& e) {
            log::error(logger(), "recording.retention_failed",
                       "retention could not delete recording " + std::to_string(id) + ": " + e.what(),
                       {{"recording", id}, {"error", e.what()}});
        }
    }
    return removed;
}

int RecordingLibrary::verifyDue(std::int64_t now)
{
    if (settings_.integrityInterval.count() == 0)
        return 0;
    const auto interval = std::chrono::duration_cast<std::chrono::seconds>(settings_.integrityInterval).count();
    int checked = 0;
    for (const auto& recording : storage::RecordingStore(database_).all()) {
        if (recording.composition != "done" || (recording.verifiedAt && now - *recording.verifiedAt < interval))
            continue;
        try {
            verify(recording, {"system", "local"});
            ++checked;
        }
        catch (const std::exception& e) {
            log::warning(logger(), "recording.integrity_skipped",
                         "integrity check of recording " + std::to_string(recording.id) + " skipped: " + e.what(),
                         {{"recording", recording.id}, {"error", e.what()}});
            break; // the volume is not there; try again next time
        }
    }
    return checked;
}

} // namespace parley::portal
