#pragma once

#include "keyframe_requester.h"
#include "packet_sender.h"
#include "participant_directory.h"
#include "router_counters.h"

#include <cstdint>

namespace parley::router {

/// What each subscriber can take: its send-side estimate (from its transport-wide
/// feedback) decides the simulcast layers it gets (LayerAllocator) and the pace of its video
/// (Pacer); where it would take more than the estimate allows, a probe of padding finds out
/// whether its link has room.
class SubscriberBandwidth
{
public:
    /// How often probes are topped up while one runs.
    static constexpr std::int64_t kProbeTickMicros = 5'000;
    /// Padding packets sent per probe tick at most per subscriber.
    static constexpr int kMaxPaddingPacketsPerTick = 20;
    static constexpr std::size_t kPaddingBytes = 255;

    SubscriberBandwidth(PacketSender& sender, KeyframeRequester& keyframes, RouterCounters& counters)
        : sender_(sender), keyframes_(keyframes), counters_(counters)
    {
    }

    /// On the timer: each subscriber's layers, keyframe requests for pending switches,
    /// probes to start.
    void allocate(const ParticipantDirectory& participants, std::int64_t nowMicros);

    /// Sends the padding the running probes owe by now; returns whether any probe runs.
    bool sendProbes(const ParticipantDirectory& participants, std::int64_t nowMicros);

private:
    /// What `subscriber` is sent now, by the rates of the layers it gets, in bits per second.
    static std::uint64_t forwardedBps(Participant& subscriber);
    /// The copy to `subscriber` whose RTX stream can carry padding, or null.
    static OutgoingStream* paddingStream(Participant& subscriber);

    PacketSender& sender_;
    KeyframeRequester& keyframes_;
    RouterCounters& counters_;
};

} // namespace parley::router
