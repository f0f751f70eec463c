#include "composition_audio_track.h"

#include "composed_file.h"
#include "composition_error.h"

extern "C" {
#include <libavutil/channel_layout.h>
}

#include <algorithm>
#include <cstdlib>

namespace parley::recorder {
namespace {

// Audio frames within this of where the previous one ended are taken as contiguous:
// millisecond timestamps cannot place 48 kHz samples exactly.
constexpr std::int64_t kAudioSlackSamples = kMixSampleRate / 100;

} // namespace

AudioTrack::AudioTrack(const CompositionInput& input, std::size_t participant)
    : decoder_(input.fd, input.name), participant_(participant)
{}

double AudioTrack::mixInto(float* mix, std::int64_t start, int count)
{
    double energy = 0;
    const std::int64_t end = start + count;
    while (!ended_ && decodedUntil_ < end)
        decodeOne();
    for (const auto& chunk : chunks_) {
        const std::int64_t chunkEnd = chunk.start + static_cast<std::int64_t>(chunk.samples.size() / kMixChannels);
        for (std::int64_t sample = std::max(start, chunk.start); sample < std::min(end, chunkEnd); ++sample) {
            const auto from = static_cast<std::size_t>(sample - chunk.start) * kMixChannels;
            const auto to = static_cast<std::size_t>(sample - start) * kMixChannels;
            mix[to] += chunk.samples[from];
            mix[to + 1] += chunk.samples[from + 1];
            energy += chunk.samples[from] * chunk.samples[from] + chunk.samples[from + 1] * chunk.samples[from + 1];
        }
    }
    while (!chunks_.empty() &&
           chunks_.front().start + static_cast<std::int64_t>(chunks_.front().samples.size() / kMixChannels) <= end)
        chunks_.pop_front();
    return count > 0 ? energy / (count * kMixChannels) : 0.0;
}

void AudioTrack::end()
{
    ended_ = true;
    decoder_.close();
    swr_free(&resampler_);
}

void AudioTrack::decodeOne()
{
    AVFrame* frame = decoder_.next();
    if (!frame) {
        end();
        return;
    }
    std::int64_t position = decoder_.frameMs() * (kMixSampleRate / 1000);
    if (position >= endSample_) {
        end(); // beyond the end of the composition
        return;
    }
    if (!resampler_) {
        AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
        if (swr_alloc_set_opts2(&resampler_, &stereo, AV_SAMPLE_FMT_FLT, kMixSampleRate, &frame->ch_layout,
                                static_cast<AVSampleFormat>(frame->format), frame->sample_rate, 0, nullptr) < 0 ||
            swr_init(resampler_) < 0)
            failComposition("cannot convert the audio of a track");
    }
    const int room = swr_get_out_samples(resampler_, frame->nb_samples);
    Chunk chunk;
    chunk.samples.resize(static_cast<std::size_t>(std::max(room, 0)) * kMixChannels);
    auto* out = reinterpret_cast<std::uint8_t*>(chunk.samples.data());
    const int got = swr_convert(resampler_, &out, room, const_cast<const std::uint8_t**>(frame->extended_data),
                                frame->nb_samples);
    if (got <= 0)
        return;
    chunk.samples.resize(static_cast<std::size_t>(got) * kMixChannels);
    if (started_ && std::abs(position - decodedUntil_) <= kAudioSlackSamples)
        position = decodedUntil_; // contiguous
    else if (started_ && position < decodedUntil_) {
        // Overlaps what is already there: keep only the new part.
        const auto skip = static_cast<std::size_t>(std::min<std::int64_t>(decodedUntil_ - position, got));
        chunk.samples.erase(chunk.samples.begin(), chunk.samples.begin() + static_cast<std::ptrdiff_t>(skip * kMixChannels));
        position += static_cast<std::int64_t>(skip);
    }
    started_ = true;
    chunk.start = position;
    decodedUntil_ = position + static_cast<std::int64_t>(chunk.samples.size() / kMixChannels);
    if (!chunk.samples.empty())
        chunks_.push_back(std::move(chunk));
}

} // namespace parley::recorder
