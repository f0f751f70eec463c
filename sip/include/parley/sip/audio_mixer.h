#pragma once

#include <parley/sip/audio_transcoder.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace parley::sip {

/// What a SIP endpoint hears: the meeting's loudest voices summed into one stream (it can take
/// only one), as Jitsi's jigasi and Asterisk's ConfBridge do for their phones. Each voice is
/// buffered briefly to even out its packets' arrival; a voice that runs dry is left out
/// until it has 40 ms again. Fixed storage: nothing is allocated after construction.
class AudioMixer
{
public:
    static constexpr std::size_t kMaxSources = 16;
    /// Samples a voice may hold (200 ms); older ones are dropped when more arrive.
    static constexpr std::size_t kCapacity = kBridgeRate / 5;

    explicit AudioMixer(std::size_t loudest = 3);

    /// Samples (48 kHz mono) of voice `source` (its SSRC). A voice beyond kMaxSources is
    /// ignored until one is forgotten.
    void push(std::uint32_t source, std::span<const float> samples);
    /// Drops a voice that ended.
    void forget(std::uint32_t source);
    /// The next 20 ms: the sum of the `loudest` voices with a frame ready, by their energy
    /// in it, clipped to [-1, 1]; silence when none is.
    void mix(std::span<float, kBridgeFrame> out);
    /// How many voices went into the last mix.
    std::size_t mixedLast() const { return mixedLast_; }
    /// The voice that was loudest in the last mix, if one was louder than quiet room noise
    /// (-50 dBFS): who the endpoint's video shows.
    std::optional<std::uint32_t> loudestLast() const { return loudestLast_; }

private:
    struct Source
    {
        std::uint32_t id = 0;
        bool used = false;
        bool playing = false; ///< primed with 40 ms and not run dry since
        std::size_t read = 0;
        std::size_t fill = 0;
        std::array<float, kCapacity> samples{};
    };
    Source* find(std::uint32_t id);

    std::size_t loudest_;
    std::vector<Source> sources_;
    std::size_t mixedLast_ = 0;
    std::optional<std::uint32_t> loudestLast_;
};

} // namespace parley::sip
