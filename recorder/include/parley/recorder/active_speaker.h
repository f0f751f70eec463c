#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace parley::recorder {

/// Who is speaking, from the sound levels of each participant, steady enough to lay a
/// recording out by: a participant becomes the speaker after being the loudest, clearly
/// above silence, for kTakeOverMs, and not before the current one held the place for
/// kMinimumHoldMs (so a cough or a word of assent does not move the picture). Silence
/// keeps the last speaker.
class ActiveSpeaker
{
public:
    /// Below this mean level (dBFS) a participant is silent.
    static constexpr double kSilenceDb = -50.0;
    /// How long the loudest must stay the loudest to take over.
    static constexpr std::int64_t kTakeOverMs = 600;
    /// How long a speaker keeps the place at least.
    static constexpr std::int64_t kMinimumHoldMs = 1500;
    /// A challenger must be this much louder than a speaker who is still speaking.
    static constexpr double kMarginDb = 6.0;

    explicit ActiveSpeaker(std::size_t participants);

    /// The sound of `participant` over a short window starting at `ms`: the mean of its
    /// squared samples (full scale 1.0). Windows come in time order.
    void hear(std::size_t participant, double meanSquare, std::int64_t ms);

    /// The speaker as of the last window heard; none until someone spoke.
    std::optional<std::size_t> speaker() const { return speaker_; }

    /// How often the speaker changed.
    std::uint64_t changes() const { return changes_; }

private:
    void decide(std::int64_t ms);

    std::vector<double> levelDb_;  ///< smoothed, per participant
    std::int64_t windowMs_ = -1;   ///< the window whose levels are being gathered
    std::optional<std::size_t> speaker_;
    std::int64_t speakerSinceMs_ = 0;
    std::optional<std::size_t> challenger_;
    std::int64_t challengerSinceMs_ = 0;
    std::uint64_t changes_ = 0;
};

} // namespace parley::recorder
