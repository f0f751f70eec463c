#include <parley/sip/audio_mixer.h>

#include <algorithm>

namespace parley::sip {
namespace {

/// Buffered before a voice is mixed (and again after it ran dry): two packets' worth, which
/// absorbs ordinary jitter on the router's link.
constexpr std::size_t kPrime = kBridgeFrame * 2;

} // namespace

AudioMixer::AudioMixer(std::size_t loudest) : loudest_(std::max<std::size_t>(1, loudest)), sources_(kMaxSources) {}

AudioMixer::Source* AudioMixer::find(std::uint32_t id)
{
    for (auto& source : sources_)
        if (source.used && source.id == id)
            return &source;
    return nullptr;
}

void AudioMixer::push(std::uint32_t id, std::span<const float> samples)
{
    auto* source = find(id);
    if (!source) {
        const auto free = std::find_if(sources_.begin(), sources_.end(), [](const Source& s) { return !s.used; });
        if (free == sources_.end())
            return;
        source = &*free;
        source->used = true;
        source->id = id;
        source->playing = false;
        source->read = source->fill = 0;
    }
    for (const float sample : samples) {
        if (source->fill == kCapacity) { // late: the oldest sample goes
            source->read = (source->read + 1) % kCapacity;
            --source->fill;
        }
        source->samples[(source->read + source->fill) % kCapacity] = sample;
        ++source->fill;
    }
    if (source->fill >= kPrime)
        source->playing = true;
}

void AudioMixer::forget(std::uint32_t id)
{
    if (auto* source = find(id))
        source->used = false;
}

void AudioMixer::mix(std::span<float, kBridgeFrame> out)
{
    std::fill(out.begin(), out.end(), 0.0f);
    // The energy of each voice's next frame; only voices with a whole frame take part.
    std::array<std::pair<float, Source*>, kMaxSources> ready{};
    std::size_t count = 0;
    for (auto& source : sources_) {
        if (!source.used || !source.playing)
            continue;
        if (source.fill < kBridgeFrame) {
            source.playing = false; // ran dry: wait for 40 ms again
            continue;
        }
        float energy = 0;
        for (std::size_t i = 0; i < kBridgeFrame; ++i) {
            const float sample = source.samples[(source.read + i) % kCapacity];
            energy += sample * sample;
        }
        ready[count++] = {energy, &source};
    }
    std::sort(ready.begin(), ready.begin() + static_cast<std::ptrdiff_t>(count),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    mixedLast_ = std::min(count, loudest_);
    // Mean square of -50 dBFS: 10^-5.
    constexpr float kSpeaking = 1e-5f * kBridgeFrame;
    loudestLast_.reset();
    if (count > 0 && ready[0].first > kSpeaking)
        loudestLast_ = ready[0].second->id;
    for (std::size_t r = 0; r < count; ++r) {
        auto& source = *ready[r].second;
        if (r < loudest_)
            for (std::size_t i = 0; i < kBridgeFrame; ++i)
                out[i] += source.samples[(source.read + i) % kCapacity];
        // Every voice's frame is used up, heard or not, so that none falls behind.
        source.read = (source.read + kBridgeFrame) % kCapacity;
        source.fill -= kBridgeFrame;
    }
    for (auto& sample : out)
        sample = std::clamp(sample, -1.0f, 1.0f);
}

} // namespace parley::sip
