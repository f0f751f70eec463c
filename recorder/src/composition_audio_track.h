#pragma once

#include <parley/recorder/recording_composer.h>

#include "track_decoder.h"

extern "C" {
#include <libswresample/swresample.h>
}

#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <vector>

namespace parley::recorder {

/// One audio track as 48 kHz stereo samples at their place on the common timeline.
class AudioTrack
{
public:
    AudioTrack(const CompositionInput& input, std::size_t participant);
    /// Samples at or after `endSample` are never needed (the composition ends there).
    void limit(std::int64_t endSample) { endSample_ = endSample; }
    ~AudioTrack() { swr_free(&resampler_); }
    AudioTrack(const AudioTrack&) = delete;
    AudioTrack& operator=(const AudioTrack&) = delete;

    /// Adds this track's samples for [start, start + count) into `mix` (interleaved stereo)
    /// and forgets everything before start + count. Returns the mean of their squares (how
    /// loud this track was there).
    double mixInto(float* mix, std::int64_t start, int count);

    std::size_t participant() const { return participant_; }

    const TrackDecoder& decoder() const { return decoder_; }

private:
    /// Decoded samples from `start` on; between chunks is silence, never stored, so a gap
    /// of any length (or a hostile timestamp jump) costs nothing.
    struct Chunk
    {
        std::int64_t start = 0;
        std::vector<float> samples; ///< interleaved stereo
    };

    void decodeOne();
    /// No more samples: the decoder and resampler are freed (what is decoded stays to be mixed).
    void end();

    TrackDecoder decoder_;
    std::size_t participant_;
    std::int64_t endSample_ = std::numeric_limits<std::int64_t>::max();
    SwrContext* resampler_ = nullptr;
    std::deque<Chunk> chunks_;
    std::int64_t decodedUntil_ = 0;
    bool started_ = false;
    bool ended_ = false;
};

} // namespace parley::recorder
