#pragma once

#include "participant.h"

#include <cstdint>

namespace parley::router {

/// Chooses the simulcast layer each subscriber gets of each video it receives (target
/// layers; the switch itself waits for a keyframe, see mapLayerPacket). Within the
/// subscriber's estimated bandwidth, less what its plain tracks take: first the lowest
/// sending layer of every video, then one step up at a time, each video in turn, as long as
/// the step fits (a step above the layer it has now needs 15 % to spare, and the steps up
/// to the layer it has may overrun by 15 %, so a rate near the edge does not flip layers). Never above the layer whose height covers the
/// size the subscriber's page shows the video at.
class LayerAllocator
{
public:
    static constexpr double kUpgradeMargin = 1.15;
    static constexpr double kKeepTolerance = 0.85;
    /// Videos considered per subscriber (a page receives at most 64 tracks).
    static constexpr std::size_t kMaxVideos = 64;

    /// Sets the target layer of each of `subscriber`'s copies of simulcast publications.
    /// `budgetBps` is what may be sent to it (UINT32_MAX: no limit known). Returns the rate
    /// it would take with no limit, for deciding to probe.
    static std::uint64_t allocate(Participant& subscriber, std::uint32_t budgetBps, std::int64_t nowMicros);

    /// The highest layer of `publication` that sends (with its rate measured), whose height
    /// is not above what is needed for `shownHeight` (0: any), or -1 when none does.
    static int sizeCap(const Publication& publication, std::uint16_t shownHeight, std::int64_t nowMicros);
};

} // namespace parley::router
