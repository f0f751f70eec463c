#pragma once

#include <parley/router/media_tap.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace parley::recorder {

/// One track of a recording as written.
struct RecordedTrack
{
    std::string trackId;  ///< the router's "<participant>/<mid>"
    std::string label;    ///< audio, video or screen
    std::string codec;    ///< "opus", "VP8" or "H264"
    std::string file;     ///< relative to the recording directory
    std::int64_t firstMs = -1; ///< first frame, from the start of the recording
    std::int64_t lastMs = -1;
    std::uint64_t frames = 0;
    std::uint64_t packetsLost = 0;
    std::uint64_t framesDropped = 0;
};

/// Records one room: drains the router's tap on a thread of its own, puts each track's
/// packets back in order, depacketizes Opus, VP8 and H.264 (no transcoding), places frames on a
/// common timeline through RTCP sender reports, asks for a keyframe when video needs one,
/// and writes one WebM file (Matroska for H.264) per track, each created by `createFile` (in production through
/// volume::RecordingDirectory, so only inside an unlocked recording volume). Tracks may come
/// and go while it runs.
class RoomRecorder
{
public:
    using KeyframeRequest = std::function<void(const std::string& trackId)>;
    /// Creates the new file `name` and returns its descriptor, which the recorder then owns;
    /// throws if it cannot (the track is then not recorded, and error() says why).
    using FileFactory = std::function<int(const std::string& name)>;

    RoomRecorder(std::shared_ptr<router::MediaTap> tap, FileFactory createFile, KeyframeRequest requestKeyframe);
    ~RoomRecorder();
    RoomRecorder(const RoomRecorder&) = delete;
    RoomRecorder& operator=(const RoomRecorder&) = delete;

    /// Drains what is left, finishes every file and returns what was written. Idempotent.
    std::vector<RecordedTrack> stop();

    /// The first error that stopped a track (volume full, I/O error), or "".
    std::string error() const;

private:
    struct Track;
    void run();
    void handle(const router::TapEntry& entry);
    void finishTrack(Track& track, std::int64_t now);
    void requestKeyframeIfNeeded(Track& track, bool needed, std::int64_t arrival);
    void onRtp(Track& track, std::span<const std::uint8_t> packet, bool lostBefore, std::int64_t arrival);
    std::int64_t timeline(Track& track, std::uint32_t rtpTimestamp, std::int64_t arrival);

    std::shared_ptr<router::MediaTap> tap_;
    FileFactory createFile_;
    KeyframeRequest requestKeyframe_;
    std::int64_t startMicros_;
    std::vector<std::unique_ptr<Track>> tracks_; ///< by tap track index
    std::map<std::string, std::int64_t> offsets_; ///< participant -> local minus sender clock, µs
    std::vector<RecordedTrack> finished_;
    std::atomic<bool> stopping_{false};
    bool stopped_ = false;
    mutable std::mutex errorMutex_;
    std::string error_;
    std::thread thread_;
};

} // namespace parley::recorder
