#include "playout_delay_policy.h"

#include <algorithm>

namespace parley::router {
namespace {

/// Recent repairs fade by this factor a second: slowly, so the floor (and with it the
/// browser's audio-video alignment) holds still, but one slow repair is not waited for forever.
constexpr double kRepairBudgetDecay = 0.97; // halves in about 23 s
/// How far the floor moves in one second (10 ms units), and how far below it the need must
/// fall before it comes down.
constexpr int kStep10ms = 5;
constexpr int kLowerMargin10ms = 10;
/// A frame's worth on top of the repair time, so the repaired frame is still in time.
constexpr std::int64_t kFrameMarginMicros = 40'000;

/// How long a subscriber of `p` must be able to wait for a packet `p` lost on the way in:
/// what its recent repairs took, at least a round trip and a frame, while it is lossy.
std::int64_t publisherBudget(const Participant& p, std::int64_t nowMicros)
{
    return p.lossyUntil > nowMicros ? std::max(p.repairBudgetMicros, p.rttMicros) + kFrameMarginMicros : 0;
}

/// How long `s` must be able to wait for what it lost on the way from us: its browser waits
/// one round trip by itself; a lost request or resend takes a second.
std::int64_t subscriberBudget(const Participant& s, std::int64_t nowMicros)
{
    return s.lossyUntil > nowMicros ? 2 * s.rttMicros : 0;
}

} // namespace

void PlayoutDelayPolicy::update(const ParticipantDirectory& participants, std::int64_t nowMicros)
{
    for (const auto& [id, participant] : participants) {
        auto& p = *participant;
        // Each way on its own: holes in what it sends among what it sends, NACKs among what
        // it receives.
        const auto share = [](std::uint64_t missing, std::uint64_t carried) {
            return carried > 0 ? 100.0 * double(missing) / double(carried) : 0.0;
        };
        const bool lossy = share(p.holesIn - p.holesInSampled, p.in.packets - p.packetsInSampled) > kLossyPercent ||
                           share(p.nackedOut - p.nackedOutSampled, p.out.packets - p.packetsOutSampled) > kLossyPercent;
        p.holesInSampled = p.holesIn;
        p.nackedOutSampled = p.nackedOut;
        p.packetsInSampled = p.in.packets;
        p.packetsOutSampled = p.out.packets;
        if (lossy)
            p.lossyUntil = nowMicros + kLossMemoryMicros;
        p.repairBudgetMicros = std::max(p.slowestRepairMicros,
                                        static_cast<std::int64_t>(double(p.repairBudgetMicros) * kRepairBudgetDecay));
        p.slowestRepairMicros = 0;
    }
    for (const auto& [id, participant] : participants)
        for (auto& publication : participant->publications) {
            if (!publication->video)
                continue;
            const auto upstream = publisherBudget(*participant, nowMicros);
            for (auto& stream : publication->outgoing) {
                const auto wanted = std::min(upstream + subscriberBudget(*stream.subscriber, nowMicros), kMaxFloorMicros);
                const int target = static_cast<int>((wanted + 9'999) / 10'000);
                int floor = stream.playoutFloor10ms;
                // Towards the target a step at a time: a browser asked for much more buffer at
                // once stops the picture while it fills it (a freeze); small steps only
                // stretch a few frames. Down only when well below, so it does not see-saw.
                if (target > floor)
                    floor = std::min(target, floor + kStep10ms);
                else if (target == 0 ? floor > 0 : target < floor - kLowerMargin10ms)
                    floor = std::max(target, floor - kStep10ms); // down to nothing once clean
                stream.playoutFloor10ms = static_cast<std::uint16_t>(floor);
            }
        }
}

} // namespace parley::router
