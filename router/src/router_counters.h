#pragma once

#include <parley/router/media_router.h>

#include <atomic>
#include <cstdint>

namespace parley::router {

/// A count only the worker thread adds to and any thread reads. With one writer a relaxed
/// load and store is enough: no locked read-modify-write on the packet path.
class WorkerCounter
{
public:
    void add(std::uint64_t n = 1) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    void set(std::uint64_t n) { value_.store(n, std::memory_order_relaxed); }
    std::uint64_t read() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

/// The router's counters since start (see RouterStats for what each one counts).
struct RouterCounters
{
    WorkerCounter received, forwarded, droppedUnknownAddress, droppedMalformed, droppedAuthentication, droppedDuplicate,
        droppedMuted, stunAnswered, keyframeRequests, keyframeRequestsFolded, retransmitted, nackMisses,
        retransmitsRefused, nacksSent, packetsRecovered, repairsGivenUp, transportFeedbackSent, transportFeedbackReceived,
        layerSwitches, probePackets, pacedPackets, pacerOverflows, pacedExpired;
    // The participants' traffic meters, folded in once a second (TrafficMeter::fold).
    WorkerCounter bytesReceived, bytesSent, packetsSent;

    RouterStats snapshot() const
    {
        RouterStats s;
        s.packetsReceived = received.read();
        s.packetsForwarded = forwarded.read();
        s.droppedUnknownAddress = droppedUnknownAddress.read();
        s.droppedMalformed = droppedMalformed.read();
        s.droppedAuthentication = droppedAuthentication.read();
        s.droppedMuted = droppedMuted.read();
        s.transportFeedbackReceived = transportFeedbackReceived.read();
        s.layerSwitches = layerSwitches.read();
        s.probePackets = probePackets.read();
        s.pacedPackets = pacedPackets.read();
        s.pacerOverflows = pacerOverflows.read();
        s.pacedExpired = pacedExpired.read();
        s.droppedDuplicate = droppedDuplicate.read();
        s.stunAnswered = stunAnswered.read();
        s.keyframeRequests = keyframeRequests.read();
        s.keyframeRequestsFolded = keyframeRequestsFolded.read();
        s.retransmitted = retransmitted.read();
        s.nackMisses = nackMisses.read();
        s.retransmitsRefused = retransmitsRefused.read();
        s.nacksSent = nacksSent.read();
        s.packetsRecovered = packetsRecovered.read();
        s.repairsGivenUp = repairsGivenUp.read();
        s.transportFeedbackSent = transportFeedbackSent.read();
        s.bytesReceived = bytesReceived.read();
        s.bytesSent = bytesSent.read();
        s.packetsSent = packetsSent.read();
        return s;
    }
};

} // namespace parley::router
