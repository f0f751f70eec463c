#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace parley::recorder {

enum class TrackCodec { Opus, Vp8, H264 };

inline bool isVideo(TrackCodec codec)
{
    return codec != TrackCodec::Opus;
}

/// One recorded track written as it arrives, without transcoding, through libavformat:
/// Opus audio (48 kHz, stereo as WebRTC declares it) or VP8 video into WebM, H.264 video
/// (Annex B access units) into Matroska, which WebM does not allow it in.
/// Writes to a descriptor the caller opened (in the recording volume); the descriptor is
/// closed when the writer is. Errors throw std::runtime_error naming the file.
class TrackWriter
{
public:
    /// `name` is for messages only. For video, `width` and `height` come from the first
    /// keyframe (a video track needs them before the first frame); for H.264,
    /// `parameterSets` are its SPS and PPS (Annex B) for the file's header.
    TrackWriter(int fd, std::string name, TrackCodec codec, int width = 0, int height = 0,
                std::span<const std::uint8_t> parameterSets = {});
    ~TrackWriter();
    TrackWriter(const TrackWriter&) = delete;
    TrackWriter& operator=(const TrackWriter&) = delete;

    /// Appends one frame at `milliseconds` from the start of the recording. Times must not
    /// go backwards (a frame that would is dropped and counted).
    void write(std::span<const std::uint8_t> frame, std::int64_t milliseconds, bool keyframe);

    /// Writes the index and duration and syncs the file. Further writes are refused.
    void finish();

    std::uint64_t framesWritten() const { return framesWritten_; }
    std::uint64_t framesRefused() const { return framesRefused_; }

private:
    struct State;
    std::unique_ptr<State> state_;
    std::string name_;
    std::uint64_t framesWritten_ = 0;
    std::uint64_t framesRefused_ = 0;
    std::int64_t lastTime_ = -1;
    bool finished_ = false;
};

} // namespace parley::recorder
