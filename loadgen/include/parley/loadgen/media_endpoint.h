#pragma once

#include <parley/loadgen/latency_histogram.h>
#include <parley/loadgen/synthetic_media.h>
#include <parley/router/ice_dtls_client.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace parley::loadgen {

/// Counters of one media thread's endpoints. "Expected" is what the sequence numbers say
/// should have arrived: expected minus received is the loss.
struct MediaCounters
{
    std::uint64_t videoPacketsSent = 0, videoBytesSent = 0, audioPacketsSent = 0, audioBytesSent = 0;
    std::uint64_t videoPacketsReceived = 0, videoBytesReceived = 0, audioPacketsReceived = 0, audioBytesReceived = 0;
    std::uint64_t videoPacketsExpected = 0, audioPacketsExpected = 0;
    std::uint64_t keyframeRequestsReceived = 0; ///< PLI and FIR from the router
    std::uint64_t keyframesSent = 0;
    std::uint64_t keyframeRequestsSent = 0; ///< PLIs we sent after a keyframe was cut by loss
    std::uint64_t srtpFailures = 0;         ///< packets that did not authenticate
    std::uint64_t strayPackets = 0;         ///< RTP of an SSRC no answer announced, or not media at all
    /// Datagrams the kernel dropped at our own sockets (SO_RXQ_OVFL), and sends it refused:
    /// losses of the load generator, not of the server.
    std::uint64_t ownReceiveDrops = 0, ownSendFailures = 0;

    void add(const MediaCounters& other);
    void subtract(const MediaCounters& other);
};

/// Forwarding latency of the packets a media thread decrypted, in µs; one per thread.
struct LatencyHistograms
{
    LatencyHistogram video, audio;
};

/// What a participant's answer from the router says, read by its signaling thread and handed
/// to its media thread.
struct AnswerPlan
{
    router::SdpAnswerTransport router; ///< where its transport goes (router::answerTransport)
    struct Receive
    {
        std::uint32_t ssrc = 0;
        bool video = false;
        std::int64_t since = 0; ///< wall clock ns from which join-to-keyframe counts
    };
    std::vector<Receive> receives; ///< every SSRC the router sends now (others are ended)
};

/// One simulated participant's media: a UDP socket connected to the router, the ICE client
/// (binding checks with USE-CANDIDATE, then consent every 2.5 s), DTLS in the client role,
/// SRTP, the streams it publishes and the ones it receives. Used only by its media thread,
/// except for identity(), which never changes.
class MediaEndpoint
{
public:
    struct Identity
    {
        std::string iceUfrag, icePwd, fingerprint;
        std::uint32_t audioSsrc = 0, videoSsrc = 0; ///< 0: does not publish it
        std::uint32_t rtcpSsrc = 0;                 ///< sender SSRC of its own RTCP
    };
    struct Media
    {
        bool audio = true, video = true;
        int audioKbps = 40, videoKbps = 1500, fps = 30;
        const MediaClip* clip = nullptr; ///< real frames to send instead of made-up ones
    };

    /// `media` is what it publishes (nothing when both are off). Throws std::runtime_error
    /// when no socket can be made.
    MediaEndpoint(const router::DtlsContext& context, const Media& media, int decryptEvery,
                  LatencyHistograms& latency);
    ~MediaEndpoint();
    MediaEndpoint(const MediaEndpoint&) = delete;
    MediaEndpoint& operator=(const MediaEndpoint&) = delete;

    const Identity& identity() const { return identity_; }
    int descriptor() const { return fd_; }

    /// The router's answer: the first one connects the socket and starts ICE; each one sets
    /// the streams received.
    void apply(const AnswerPlan& plan, std::int64_t now);
    /// Sends what is due at `now` (steady clock ns, as for apply): ICE checks, DTLS
    /// retransmissions, media.
    /// Returns when it next has something to do.
    std::int64_t service(std::int64_t now, std::span<OutgoingPacket> scratch);
    /// One datagram from the router, received at `arrival` (kernel timestamp, wall clock ns);
    /// `socketDrops` is the kernel's count of datagrams dropped at this socket so far.
    void receive(std::span<std::uint8_t> datagram, std::int64_t arrival, std::uint32_t socketDrops);

    /// DTLS is done and SRTP keyed (any thread may ask).
    bool connected() const { return connected_; }
    bool failed() const { return failed_; }
    const std::string& failure() const { return failure_; }

    /// Counting for a measured window: from now, and up to now.
    void beginWindow();
    void endWindow(MediaCounters& into) const;
    MediaCounters& counters() { return counters_; }
    /// Join-to-keyframe times in ms of the video streams whose first keyframe is complete, and
    /// how many video streams it receives.
    void keyframeTimes(std::vector<double>& into, int& videoStreams) const;

private:
    struct ReceiveStream
    {
        std::uint32_t ssrc = 0;
        bool video = false;
        bool active = true;
        std::int64_t since = 0;
        bool started = false;
        std::uint64_t highest = 0; ///< extended sequence number
        std::uint64_t received = 0;
        std::uint64_t windowHighest = 0, windowReceived = 0;
        bool windowStarted = false; ///< its first packet in the window sets windowHighest
        enum class Keyframe { Waiting, Assembling, Done } keyframe = Keyframe::Waiting;
        std::uint16_t nextSequence = 0;
        std::int64_t lastPli = 0;
        double keyframeMs = -1;
        std::uint64_t sinceDecrypt = 0;
    };

    void send(std::span<const std::uint8_t> datagram);
    void onRtp(std::span<std::uint8_t> datagram, std::int64_t arrival);
    void onRtcp(std::span<std::uint8_t> datagram);
    void requestKeyframe(ReceiveStream& stream, std::int64_t now);
    void fail(const std::string& why);
    std::int64_t sendMedia(std::int64_t now, std::span<OutgoingPacket> scratch);
    void sendBatch(std::span<OutgoingPacket> packets, std::size_t count);

    Identity identity_;
    Media media_;
    int decryptEvery_;
    LatencyHistograms& latency_;
    std::uint32_t socketDrops_ = 0; ///< the kernel's running count for our socket
    int fd_ = -1;
    router::IceDtlsClient client_;
    std::atomic<bool> connected_{false};
    bool failed_ = false;
    std::string failure_;
    bool measuring_ = false;
    MediaCounters counters_, windowStart_;

    std::optional<SyntheticVideo> video_;
    std::optional<SyntheticAudio> audio_;
    std::int64_t nextVideo_ = 0, nextAudio_ = 0;
    std::vector<ReceiveStream> streams_;
};

} // namespace parley::loadgen
