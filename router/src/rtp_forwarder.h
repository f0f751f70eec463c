#pragma once

#include "keyframe_requester.h"
#include "packet_sender.h"
#include "participant.h"
#include "participant_directory.h"
#include "router_counters.h"

#include <cstddef>
#include <cstdint>
#include <span>

namespace parley::router {

/// The media path: decrypts a publisher's RTP, keeps its statistics and recent packets,
/// asks the publisher again for packets lost on the way in, copies it to the recording tap
/// and to every subscriber (video through the subscriber's Pacer where it has one); and
/// resends kept packets to a subscriber that reports them lost. Allocates nothing and takes
/// no lock per packet.
class RtpForwarder
{
public:
    /// Sequence numbers answered per NACK packet at most (a hostile NACK may list thousands).
    static constexpr std::size_t kMaxNackedPerPacket = 64;

    /// Sequence numbers asked of a publisher in one NACK at most; the rest go in the next.
    static constexpr std::size_t kMaxNackEntries = 32;

    RtpForwarder(PacketSender& sender, KeyframeRequester& keyframes, RouterCounters& counters)
        : sender_(sender), keyframes_(keyframes), counters_(counters)
    {
    }

    /// An SRTP packet from publisher `from`, received at `arrivalMicros`.
    void onRtp(Participant& from, std::span<std::uint8_t> datagram, std::int64_t arrivalMicros);

    /// `subscriber`'s generic NACK (`fci`: the entries after the 12-byte header) for the copy
    /// it receives as `subscription`: each kept packet it names is sent again, within its retransmission
    /// budget; the rest are counted as misses or refusals.
    void answerNack(Participant& subscriber, const Subscription& subscription, std::span<const std::uint8_t> fci,
                    std::int64_t nowMicros);

    /// Asks `publication`'s publisher (one NACK) for the packets lost on the way in that are
    /// due: not asked for yet, or asked for a round trip ago.
    void sendNacks(Publication& publication, std::int64_t nowMicros);

    /// Sends the paced video that is due by now to every subscriber; returns whether any
    /// still waits (the worker then wakes again a probe tick later: probes and paced video
    /// share the tick).
    bool sendPaced(const ParticipantDirectory& participants, std::int64_t nowMicros);
    /// The same for one subscriber; returns whether any of its video still waits.
    bool sendPaced(Participant& subscriber, std::int64_t nowMicros);
    /// Whether any subscriber's video waits in its pacer (as of the last packet or tick).
    bool pacing() const { return pacing_; }

    /// Packets kept per simulcast layer or video track for retransmission: about 2 s of video
    /// at 2.5 Mbit/s, by count and by age; audio 1 s.
    static constexpr std::size_t kVideoStorePackets = 512;
    static constexpr std::int64_t kVideoStoreMicros = 2'000'000;
    static constexpr std::size_t kAudioStorePackets = 64;
    static constexpr std::int64_t kAudioStoreMicros = 1'000'000;

private:
    void sendNacks(Publication& publication, InboundLayer& layer, std::int64_t nowMicros);
    /// The simulcast layer a packet of an unknown SSRC names by its mid and rid (or repaired
    /// rid, for its resends), which from now on is known by that SSRC; an empty ref when it
    /// names none.
    Participant::LayerRef bindSimulcastLayer(Participant& p, const RtpView& view, std::int64_t nowMicros);
    /// Queues `subscriber`'s copy of a packet of `publication`'s layer `index` in its pacer,
    /// sending the oldest first when the pacer is full.
    void pace(Participant& subscriber, Publication& publication, int index, const RtpView& view,
              const CopyHeader& header, std::size_t bytes);
    /// Sends a packet that waited in `subscriber`'s pacer, from the packet store (dropped
    /// and counted when the store no longer has it).
    void sendQueued(Participant& subscriber, const Pacer::Entry& entry);

    PacketSender& sender_;
    KeyframeRequester& keyframes_;
    RouterCounters& counters_;
    bool pacing_ = false;
};

} // namespace parley::router
