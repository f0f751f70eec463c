#include <parley/recorder/active_speaker.h>
#include <parley/recorder/composition_layout.h>
#include <parley/recorder/recording_composer.h>

#include "composed_file.h"
#include "composition_audio_track.h"
#include "composition_error.h"
#include "composition_frame.h"
#include "composition_video_track.h"
#include "track_decoder.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <vector>

// Why not libavfilter (overlay + amix): its frame sync holds every other input's frames
// until a late track's first frame arrives, so someone joining an hour into a meeting would
// buffer an hour of decoded pictures. Here each output frame is built from the newest
// picture of each track, and memory stays a few frames whatever the length.

namespace parley::recorder {
namespace {

void clearToBlack(AVFrame& canvas)
{
    for (int y = 0; y < canvas.height; ++y)
        std::memset(canvas.data[0] + y * canvas.linesize[0], 16, static_cast<std::size_t>(canvas.width));
    for (int plane = 1; plane < 3; ++plane)
        for (int y = 0; y < canvas.height / 2; ++y)
            std::memset(canvas.data[plane] + y * canvas.linesize[plane], 128, static_cast<std::size_t>(canvas.width / 2));
}

/// The picture size for what was recorded: no larger than the biggest source, in steps of
/// the configured size (a quarter, half, all) keeping its shape.
std::pair<int, int> outputSize(int tallest, const CompositionOptions& options)
{
    for (const int divisor : {4, 2}) {
        const int height = (options.height / divisor) & ~1;
        if (height >= 180 && tallest <= height * 9 / 8) // a source a little taller is scaled down, not up
            return {(options.width / divisor) & ~1, height};
    }
    return {options.width, options.height};
}

} // namespace

CompositionResult composeRecording(const std::vector<CompositionInput>& inputs, int outputFd,
                                   const CompositionOptions& options, const std::function<void(double)>& progress)
{
    if (options.width < 64 || options.height < 64 || options.width % 2 || options.height % 2 ||
        options.framesPerSecond < 1 || options.framesPerSecond > 60)
        throw std::invalid_argument("composition size must be even and at least 64x64, at 1 to 60 frames a second");
    CompositionResult result;
    std::int64_t lastMs = 0;
    int tallest = 0;
    std::map<std::string, std::size_t> participants;
    std::vector<std::unique_ptr<VideoTrack>> video;
    std::vector<std::unique_ptr<AudioTrack>> audio;
    for (const auto& given : inputs) {
        auto input = given;
        if (input.lastMs < 0) {
            // Not known (the recorder was cut short): read from the file's packets.
            const auto span = TrackDecoder(input.fd, input.name).packetSpan();
            input.firstMs = span.firstMs;
            input.lastMs = span.lastMs;
        }
        if (options.maxDurationMs > 0)
            input.lastMs = std::min(input.lastMs, options.maxDurationMs);
        lastMs = std::max(lastMs, input.lastMs);
        // Tracks without a participant stand for one of their own.
        const auto participant =
            participants.try_emplace(input.participant.empty() ? "\n" + input.name : input.participant, participants.size())
                .first->second;
        if (isVideo(input.codec)) {
            // Read through once (packets only) for its largest picture.
            tallest = std::max(tallest, TrackDecoder(input.fd, input.name).tallestPicture());
            video.push_back(std::make_unique<VideoTrack>(input, participant));
        }
        else
            audio.push_back(std::make_unique<AudioTrack>(input, participant));
        if (progress)
            progress(0.0); // a chance to cancel between opening slow files
    }
    if (video.empty() && audio.empty())
        failComposition("the recording has no tracks");
    // In the order they started: of several shares, the newest is shown large.
    std::stable_sort(video.begin(), video.end(), [](const auto& a, const auto& b) { return a->firstMs() < b->firstMs(); });
    result.videoTracks = static_cast<int>(video.size());
    result.audioTracks = static_cast<int>(audio.size());

    CompositionOptions sized = options;
    if (!video.empty())
        std::tie(sized.width, sized.height) = outputSize(tallest, options);
    result.width = video.empty() ? 0 : sized.width;
    result.height = video.empty() ? 0 : sized.height;
    ComposedFile file(outputFd, sized, !video.empty(), !audio.empty());
    const int fps = options.framesPerSecond;
    // The last picture or audio frame lasts until the next would have come.
    const std::int64_t durationMs = lastMs + 1000 / fps;
    const std::int64_t frameCount = (durationMs * fps + 999) / 1000;
    const std::int64_t totalSamples = durationMs * (kMixSampleRate / 1000);
    for (auto& track : audio)
        track->limit(totalSamples);

    FramePtr canvas;
    if (file.video()) {
        canvas = newFrame();
        canvas->format = AV_PIX_FMT_YUV420P;
        canvas->width = sized.width;
        canvas->height = sized.height;
        if (av_frame_get_buffer(canvas.get(), 0) < 0)
            failComposition("out of memory");
    }
    FramePtr sound;
    std::vector<float> mix;
    if (file.audio()) {
        sound = newFrame();
        sound->format = AV_SAMPLE_FMT_FLT;
        sound->sample_rate = kMixSampleRate;
        AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
        av_channel_layout_copy(&sound->ch_layout, &stereo);
        sound->nb_samples = file.audio()->frame_size > 0 ? file.audio()->frame_size : 960;
        if (av_frame_get_buffer(sound.get(), 0) < 0)
            failComposition("out of memory");
        mix.resize(static_cast<std::size_t>(sound->nb_samples) * kMixChannels);
    }

    ActiveSpeaker speaker(participants.size());
    std::vector<double> loudness(participants.size());
    // The participants with sound, each once (someone may have several audio tracks).
    std::vector<std::size_t> speaking;
    for (const auto& track : audio)
        if (std::find(speaking.begin(), speaking.end(), track->participant()) == speaking.end())
            speaking.push_back(track->participant());
    std::vector<TileKind> tiles;
    std::vector<VideoTrack*> shown;
    VideoTrack* lastLarge = nullptr;
    std::int64_t audioPosition = 0;
    // Every second of output: often enough to cancel soon, whatever the length.
    const std::int64_t progressEvery = fps;
    for (std::int64_t index = 0; index < frameCount; ++index) {
        const std::int64_t ms = index * 1000 / fps;
        if (canvas) {
            if (av_frame_make_writable(canvas.get()) < 0)
                failComposition("out of memory");
            clearToBlack(*canvas);
            tiles.clear();
            shown.clear();
            std::optional<std::size_t> speakerTile;
            std::optional<std::size_t> lastLargeTile;
            for (auto& track : video) {
                track->advanceTo(ms);
                if (!track->visible(ms))
                    continue;
                if (track->kind() == TileKind::Camera && track->participant() == speaker.speaker())
                    speakerTile = tiles.size();
                if (track.get() == lastLarge)
                    lastLargeTile = tiles.size();
                tiles.push_back(track->kind());
                shown.push_back(track.get());
            }
            // A speaker without a camera leaves the picture to whoever had it.
            const auto placements = arrangeTiles(tiles, speakerTile ? speakerTile : lastLargeTile, sized.width, sized.height);
            for (const auto& placement : placements) {
                shown[placement.tile]->paint(*canvas, placement, options.labelFont, result.labelError);
                if (placement.large)
                    lastLarge = shown[placement.tile];
            }
            canvas->pts = index;
            file.encode(file.video(), canvas.get());
        }
        if (sound) {
            const std::int64_t audioUntil = std::min(totalSamples, (index + 1) * kMixSampleRate / fps);
            while (audioPosition < audioUntil) {
                std::fill(mix.begin(), mix.end(), 0.0f);
                std::fill(loudness.begin(), loudness.end(), 0.0);
                for (auto& track : audio) {
                    auto& level = loudness[track->participant()];
                    level = std::max(level, track->mixInto(mix.data(), audioPosition, sound->nb_samples));
                }
                for (const auto participant : speaking)
                    speaker.hear(participant, loudness[participant], audioPosition * 1000 / kMixSampleRate);
                if (av_frame_make_writable(sound.get()) < 0)
                    failComposition("out of memory");
                auto* samples = reinterpret_cast<float*>(sound->data[0]);
                for (std::size_t i = 0; i < mix.size(); ++i)
                    samples[i] = std::clamp(mix[i], -1.0f, 1.0f);
                sound->pts = audioPosition;
                file.encode(file.audio(), sound.get());
                audioPosition += sound->nb_samples;
            }
        }
        if (progress && index % progressEvery == 0)
            progress(static_cast<double>(index) / static_cast<double>(frameCount));
    }
    file.finish();
    for (const auto& track : video) {
        result.framesDecoded += track->decoder().framesDecoded();
        result.decodeErrors += track->decoder().errors();
    }
    for (const auto& track : audio) {
        result.framesDecoded += track->decoder().framesDecoded();
        result.decodeErrors += track->decoder().errors();
    }
    result.durationMs = durationMs;
    result.speakerChanges = speaker.changes();
    if (progress)
        progress(1.0);
    return result;
}

} // namespace parley::recorder
