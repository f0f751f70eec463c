#pragma once

#include <parley/recorder/track_writer.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace parley::recorder {

/// One recorded track file to compose, open for reading (the caller keeps it open).
struct CompositionInput
{
    CompositionInput() = default;
    CompositionInput(int fd, std::string name, TrackCodec codec, std::int64_t firstMs, std::int64_t lastMs)
        : fd(fd), name(std::move(name)), codec(codec), firstMs(firstMs), lastMs(lastMs)
    {}

    int fd = -1;
    std::string name; ///< for messages
    TrackCodec codec = TrackCodec::Opus;
    std::int64_t firstMs = 0; ///< as recorded (the layout uses them before decoding)
    std::int64_t lastMs = 0;  ///< negative: not known, read from the file
    /// Whose track it is: a participant's sound decides whether their camera is shown large.
    std::string participant;
    std::string displayName; ///< drawn on their picture ("" draws nothing)
    bool screen = false;     ///< a screen share (shown whole and large), not a camera
};

struct CompositionOptions
{
    /// The largest picture; a recording of smaller sources gets half or a quarter of it.
    int width = 1280;
    int height = 720;
    int framesPerSecond = 15;
    int videoBitrate = 1'200'000;
    int audioBitrate = 64'000;
    /// Nothing after this is composed (0: no limit): the recording's own length, so a
    /// sender's timestamps far in the future cannot make the job run for ever.
    std::int64_t maxDurationMs = 0;
    /// A TrueType font for the names on the pictures ("": no names).
    std::string labelFont;
};

struct CompositionResult
{
    std::int64_t durationMs = 0;
    int videoTracks = 0;
    int audioTracks = 0;
    int width = 0; ///< of the picture; 0 without video
    int height = 0;
    std::uint64_t speakerChanges = 0; ///< how often the large picture went to another speaker
    std::string labelError; ///< why names were left out, when they were
    std::uint64_t framesDecoded = 0;
    std::uint64_t decodeErrors = 0; ///< damaged frames skipped (the rest is composed)
};

/// Composes a recording's track files into one playable WebM file: a VP8 picture laid out
/// anew for every frame from the videos showing then (arrangeTiles: the active speaker, by
/// the sound of each participant's audio tracks (ActiveSpeaker), or a screen share large,
/// cameras cropped to fill their cells, each with its participant's name) and Opus audio
/// mixing every audio track at its place on the common timeline (gaps are silence). The
/// picture is no larger than the largest source needs (outputs without video tracks have
/// no picture at all). A font that cannot be drawn leaves the names out (labelError) and
/// the rest is composed. Memory stays bounded whatever the length: tracks are decoded
/// side by side, one output frame at a time. `progress` gets the fraction done (0..1) for
/// every second of output; it may throw to cancel. Writes through `outputFd` (kept open by the caller; seeks to write the index).
/// Throws std::runtime_error naming the file when an input cannot be read at all or the
/// output cannot be written; a track whose file is unreadable from the start fails the job
/// rather than silently missing from it.
CompositionResult composeRecording(const std::vector<CompositionInput>& inputs, int outputFd,
                                   const CompositionOptions& options,
                                   const std::function<void(double)>& progress = {});

} // namespace parley::recorder
