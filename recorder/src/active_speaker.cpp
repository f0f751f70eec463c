#include <parley/recorder/active_speaker.h>

#include <algorithm>
#include <cmath>

namespace parley::recorder {
namespace {

// Levels are smoothed over a few windows: a level reacts within about 100 ms of 20 ms
// windows, and a pause between words does not drop it to silence at once.
constexpr double kSmoothing = 0.2;
// Sound quieter than this is taken as this (log of zero).
constexpr double kFloorDb = -100.0;

double toDb(double meanSquare)
{
    return meanSquare > 1e-10 ? std::max(kFloorDb, 10.0 * std::log10(meanSquare)) : kFloorDb;
}

} // namespace

ActiveSpeaker::ActiveSpeaker(std::size_t participants) : levelDb_(participants, kFloorDb) {}

void ActiveSpeaker::hear(std::size_t participant, double meanSquare, std::int64_t ms)
{
    if (participant >= levelDb_.size() || !std::isfinite(meanSquare) || meanSquare < 0)
        return;
    if (ms != windowMs_) {
        if (windowMs_ >= 0)
            decide(windowMs_);
        windowMs_ = ms;
    }
    auto& level = levelDb_[participant];
    level += kSmoothing * (toDb(meanSquare) - level);
}

void ActiveSpeaker::decide(std::int64_t ms)
{
    const auto loudest = static_cast<std::size_t>(
        std::distance(levelDb_.begin(), std::max_element(levelDb_.begin(), levelDb_.end())));
    if (levelDb_[loudest] < kSilenceDb || (speaker_ && loudest == *speaker_)) {
        challenger_.reset();
        return;
    }
    if (speaker_ && levelDb_[*speaker_] >= kSilenceDb && levelDb_[loudest] < levelDb_[*speaker_] + kMarginDb) {
        challenger_.reset();
        return;
    }
    if (!speaker_) {
        speaker_ = loudest;
        speakerSinceMs_ = ms;
        ++changes_;
        return;
    }
    if (challenger_ != loudest) {
        challenger_ = loudest;
        challengerSinceMs_ = ms;
    }
    if (ms - challengerSinceMs_ >= kTakeOverMs && ms - speakerSinceMs_ >= kMinimumHoldMs) {
        speaker_ = loudest;
        speakerSinceMs_ = ms;
        challenger_.reset();
        ++changes_;
    }
}

} // namespace parley::recorder
