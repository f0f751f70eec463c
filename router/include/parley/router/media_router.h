#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace parley::router {

class MediaTap;

/// Where the router listens and what it tells browsers to send to.
struct RouterSettings
{
    std::string listenAddress = "0.0.0.0";
    std::uint16_t port = 10000; ///< the first worker's UDP port (worker i: port + i); 0: each picks a free one
    /// The TCP port for participants whose UDP is blocked (ICE-TCP, RFC 6544 passive
    /// candidates); 0 picks a free one; nullopt: no TCP.
    std::optional<std::uint16_t> tcpPort;
    /// The address put in SDP candidates. Empty: `listenAddress` when it names one address;
    /// for a wildcard (0.0.0.0 or ::), the host's primary IPv4 address (the one its default
    /// route leaves from), or 127.0.0.1 when it has none.
    std::string announcedAddress;
    /// Worker threads, each with its own UDP port (`port` + i) and TCP port (`tcpPort` + i;
    /// with port 0 each picks a free one). A room's media stays on one worker: the one with
    /// the fewest participants when the room's first participant (or its recording) comes.
    unsigned workers = 1;
};

/// A track a participant publishes, as the router knows it after negotiation.
struct PublishedTrack
{
    std::string id;   ///< "<participant id>/<mid>", unique in the router
    std::string kind; ///< "audio", "video" or "screen" (as the publisher labelled it)
    std::string codec; ///< as it is sent: "opus", "VP8" or "H264"
};

/// The outcome of one offer/answer round.
struct Negotiation
{
    std::string answer; ///< SDP answer
    std::vector<PublishedTrack> published;
};

/// Counters since start, read through MediaRouter::stats() (by `/metrics` and tests).
struct RouterStats
{
    std::uint64_t packetsReceived = 0;  ///< every datagram read from the port
    std::uint64_t packetsForwarded = 0; ///< packet copies sent to subscribers
    // From the participants' traffic meters, folded in once a second on the worker (and when
    // a participant goes), so up to a second behind: counting them per packet across threads
    // would cost the forwarding path an atomic operation per packet.
    std::uint64_t bytesReceived = 0; ///< from participants' ICE-checked addresses (encrypted size)
    std::uint64_t bytesSent = 0;     ///< media, RTCP and DTLS to participants
    std::uint64_t packetsSent = 0;   ///< media, RTCP and DTLS to participants
    std::uint64_t droppedUnknownAddress = 0;
    std::uint64_t droppedMalformed = 0;
    std::uint64_t droppedAuthentication = 0; ///< STUN integrity or SRTP authentication failures
    std::uint64_t droppedMuted = 0;          ///< moderator mutes enforced
    std::uint64_t droppedDuplicate = 0;      ///< media packets the router had already (redundant resends, probes)
    std::uint64_t stunAnswered = 0;
    std::uint64_t keyframeRequests = 0;       ///< PLIs sent to publishers
    std::uint64_t keyframeRequestsFolded = 0; ///< requests folded into one outstanding
    std::uint64_t retransmitted = 0;      ///< packets resent to subscribers who asked (NACK)
    std::uint64_t nackMisses = 0;         ///< asked for but no longer (or never) kept
    std::uint64_t retransmitsRefused = 0; ///< asked for beyond a subscriber's budget
    std::uint64_t nacksSent = 0;          ///< packets asked of publishers again (retries included)
    std::uint64_t packetsRecovered = 0;   ///< of those lost on the way in, the ones that came after all
    std::uint64_t repairsGivenUp = 0;     ///< lost on the way in and never repaired by resending
    std::uint64_t transportFeedbackSent = 0; ///< transport-wide feedback packets sent to publishers
    std::uint64_t transportFeedbackReceived = 0; ///< from subscribers, used for their estimates
    std::uint64_t layerSwitches = 0; ///< subscribers' copies moved to another simulcast layer
    std::uint64_t probePackets = 0;  ///< padding sent to probe a subscriber's bandwidth
    std::uint64_t pacedPackets = 0;  ///< video copies that waited in a subscriber's pacer
    std::uint64_t pacerOverflows = 0; ///< sent before their time because the pacer was full
    std::uint64_t pacedExpired = 0;  ///< waited so long the packet store no longer had them
};

/// One participant's media as the router sees it, over the last second.
struct ParticipantMedia
{
    std::string participantId;
    std::uint64_t bitsPerSecondIn = 0;  ///< what it sends us (media and RTCP, encrypted size)
    std::uint64_t bitsPerSecondOut = 0; ///< what we send it
    /// Share of its packets lost on the way to us, in percent (sequence number gaps).
    double lossPercentIn = 0;
    /// Share of our packets lost on the way to it, in percent, as its receiver reports say
    /// (the worst of the streams it receives).
    double lossPercentOut = 0;
};

/// The router as a whole, over the last second.
struct RouterLoad
{
    std::uint64_t bitsPerSecondIn = 0;
    std::uint64_t bitsPerSecondOut = 0;
    double lossPercent = 0;  ///< of packets expected by the router from all publishers
    double cpuPercent = 0;   ///< of one core, spent by the worker threads together
};

/// The media router (SFU): ICE-lite, DTLS-SRTP, forwarding between the participants of a
/// room. Worker threads (RouterSettings::workers) do all packet work, each on its own port,
/// each room on one of them; the methods here are the control plane, thread-safe, and wait
/// for the room's worker to apply them.
class MediaRouter
{
public:
    /// Binds the port and starts the worker. Throws std::runtime_error naming the address
    /// when the port cannot be bound.
    explicit MediaRouter(const RouterSettings& settings);
    ~MediaRouter();
    MediaRouter(const MediaRouter&) = delete;
    MediaRouter& operator=(const MediaRouter&) = delete;

    /// Negotiates a participant's offer: `tracks` labels the sections it publishes
    /// (mid → "audio", "video" or "screen"), `subscriptions` names the track each receiving
    /// section wants (mid → track id of another participant in the same room). The first
    /// offer creates the participant's transport. Throws SdpError for an offer it cannot
    /// answer (SDP that does not parse, no sha-256 fingerprint in the first offer, or a
    /// participant id already negotiated in another room). ICE credentials and BUNDLE are
    /// not checked here.
    Negotiation negotiate(std::int64_t roomId, const std::string& participantId,
                          const std::string& offer, const std::map<std::string, std::string>& tracks,
                          const std::map<std::string, std::string>& subscriptions);

    /// Releases everything the participant had: transport, keys, publications and the
    /// forwards to and from it. Idempotent.
    void removeParticipant(const std::string& participantId);

    /// A moderator's mute: the router drops the participant's packets of that kind
    /// ("audio", or "video" which includes screen share) until lifted.
    void setMuted(const std::string& participantId, const std::string& kind, bool muted);

    /// The heights (pixels on the screen) at which a participant's page shows the videos it
    /// receives, by track id (0: not known). A simulcast layer taller than needed is not sent
    /// to it. Tracks it does not receive are ignored.
    void setShownHeights(const std::string& participantId, const std::map<std::string, std::uint16_t>& heights);

    /// How long, in ms, a participant's page should buffer what it receives from each
    /// publisher, by publisher id: while the publisher's or its own link loses packets, long
    /// enough for the repairs (the floor the playout-delay extension asks of its video);
    /// publishers that need no extra buffering are left out. The page buffers that
    /// publisher's audio as long as its video, which keeps them in step: the extension
    /// reaches video only. Waits for the worker (the signaling asks once a second).
    std::map<std::string, int> bufferTargets(const std::string& participantId) const;

    /// Starts copying every track published in `roomId`, now and later, into `tap` for a
    /// recorder: a TrackAdded entry per track (video tracks also get a keyframe request),
    /// then its plain RTP packets and sender reports, and TrackRemoved when it ends. The
    /// copy is one memcpy per packet on the worker, no lock and no allocation.
    void startTap(std::int64_t roomId, std::shared_ptr<MediaTap> tap);

    /// Stops copying; the router keeps no reference to the tap afterwards.
    void stopTap(std::int64_t roomId);

    /// Asks the publisher of `trackId` for a keyframe (rate-limited like subscribers' PLIs).
    void requestKeyframe(const std::string& trackId);

    RouterStats stats() const;
    /// Each participant of `roomId` that has negotiated media. Waits for the worker, so it is
    /// for an admin's occasional look, not for a loop.
    std::vector<ParticipantMedia> participantMedia(std::int64_t roomId) const;
    /// Rates and CPU over the last second, without waiting for the worker.
    RouterLoad load() const;
    /// The first worker's UDP port; worker i has ports()[i].
    std::uint16_t port() const;
    std::vector<std::uint16_t> ports() const;
    /// The first worker's ICE-TCP port, when there is one; worker i has tcpPorts()[i].
    std::optional<std::uint16_t> tcpPort() const;
    std::vector<std::uint16_t> tcpPorts() const;
    const std::string& announcedAddress() const;
    /// The worker a room's media is on, while it has participants or a recording.
    std::optional<std::size_t> workerOf(std::int64_t roomId) const;

private:
    class Worker;
    struct Placement
    {
        std::size_t worker = 0;
        int participants = 0;
        bool tapped = false;
    };
    /// The room's worker, placing the room on the least busy one if it has none.
    std::size_t place(std::int64_t roomId);
    /// Forgets the room's worker once nothing of it is left there (under placementMutex_).
    void release(std::int64_t roomId);
    /// The worker of a participant's room, or nullptr for one not negotiated (under
    /// placementMutex_).
    Worker* workerOfParticipant(const std::string& participantId) const;

    /// A participant's room, and which registration it is (a failed first offer undoes only
    /// its own).
    struct Registration
    {
        std::int64_t roomId = 0;
        std::uint64_t generation = 0;
    };

    std::vector<std::unique_ptr<Worker>> workers_;
    /// Guards the maps below. Work for a worker is queued while holding it, so the worker
    /// runs it in the order the maps changed; the result is waited for after it is released.
    mutable std::mutex placementMutex_;
    std::map<std::int64_t, Placement> rooms_;
    std::map<std::string, Registration> participantRooms_;
    std::uint64_t registrations_ = 0;
    /// Mutes given before a participant's first offer (audio, video): its worker is not known
    /// until then.
    std::map<std::string, std::pair<bool, bool>> earlyMutes_;
};

} // namespace parley::router
