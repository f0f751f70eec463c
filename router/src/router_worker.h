#pragma once

#include "ice_lite.h"
#include "keyframe_requester.h"
#include "load_sampler.h"
#include "negotiator.h"
#include "packet_sender.h"
#include "participant_directory.h"
#include "recording_taps.h"
#include "router_counters.h"
#include "rtcp_handler.h"
#include "rtp_forwarder.h"
#include "subscriber_bandwidth.h"
#include "tcp_media_server.h"
#include "udp_socket.h"

#include <parley/router/dtls_certificate.h>
#include <parley/router/dtls_transport.h>
#include <parley/router/media_router.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

namespace parley::router {

/// The router's one thread and what it owns: the UDP port, the batches, and the parts that
/// handle each kind of packet. Its loop reads a batch of datagrams, hands each to its
/// handler, sends what they produced in one sendmmsg, and runs the timers; control-plane
/// calls from other threads are queued as commands and run between batches.
class MediaRouter::Worker
{
public:
    /// How often retransmission budgets refill, keyframe requests and DTLS retransmit
    /// timers are checked, and consent is looked at.
    static constexpr auto kTimerInterval = std::chrono::milliseconds(250);
    /// How often receiver reports go out and rates, loss and CPU are sampled.
    static constexpr auto kSampleInterval = std::chrono::seconds(1);
    /// How often publishers get transport-wide feedback (what libwebrtc's receivers do at
    /// video rates).
    static constexpr auto kFeedbackInterval = std::chrono::milliseconds(50);
    /// How often NACKs to publishers are retried (they go out at once when a gap is seen).
    static constexpr auto kNackInterval = std::chrono::milliseconds(20);
    /// Resends a subscriber may ask for per timer interval (NACK storms).
    static constexpr int kRetransmitsPerTick = 250;

    explicit Worker(const RouterSettings& settings);
    ~Worker();

    /// Queues `task` for the worker thread; the future gives its result (or exception).
    /// Tasks run in the order they were queued.
    template <typename Result>
    std::future<Result> post(std::function<Result()> task)
    {
        auto packaged = std::make_shared<std::packaged_task<Result()>>(std::move(task));
        auto future = packaged->get_future();
        {
            std::lock_guard lock(commandMutex_);
            if (closed_)
                throw std::runtime_error("the media router has stopped");
            commands_.emplace_back([packaged] { (*packaged)(); });
        }
        wakeUp();
        return future;
    }

    /// Runs `task` on the worker thread and waits for it (exceptions are passed back).
    template <typename Result>
    Result run(std::function<Result()> task)
    {
        return post<Result>(std::move(task)).get();
    }

    // Worker thread only (through run()).
    Negotiation negotiate(std::int64_t roomId, const std::string& participantId, const SdpOffer& offer,
                          const std::map<std::string, std::string>& tracks,
                          const std::map<std::string, std::string>& subscriptions);
    void remove(const std::string& participantId);
    void setShownHeights(const std::string& participantId, const std::map<std::string, std::uint16_t>& heights)
    {
        auto* p = participants_.find(participantId);
        if (!p)
            return;
        for (auto& subscription : p->subscriptions)
            if (const auto found = heights.find(subscription.publication->trackId); found != heights.end())
                if (auto* stream = subscription.publication->outgoingTo(*p, subscription.ssrc))
                    stream->shownHeight = found->second;
    }

    std::map<std::string, int> bufferTargets(const std::string& participantId) const
    {
        std::map<std::string, int> targets;
        auto* p = participants_.find(participantId);
        if (!p)
            return targets;
        for (const auto& subscription : p->subscriptions) {
            auto& publication = *subscription.publication;
            const auto* stream = publication.video ? publication.outgoingTo(*p, subscription.ssrc) : nullptr;
            if (stream && stream->playoutFloor10ms > 0) {
                auto& ms = targets[publication.owner->id];
                ms = std::max(ms, 10 * int(stream->playoutFloor10ms));
            }
        }
        return targets;
    }

    void setMuted(const std::string& participantId, const std::string& kind, bool muted)
    {
        participants_.setMuted(participantId, kind, muted);
    }
    void startTap(std::int64_t roomId, std::shared_ptr<MediaTap> tap);
    void stopTap(std::int64_t roomId);
    void requestKeyframe(const std::string& trackId);
    std::vector<ParticipantMedia> participantMedia(std::int64_t roomId) const;

    // Any thread.
    RouterStats stats() const { return counters_.snapshot(); }
    RouterLoad load() const { return sampler_.load(); }
    std::uint16_t port() const { return socket_.port(); }
    std::optional<std::uint16_t> tcpPort() const
    {
        return tcp_ ? std::optional<std::uint16_t>(tcp_->port()) : std::nullopt;
    }
    const std::string& announced() const { return announced_; }

private:
    void wakeUp();
    void loop();
    void runCommands();
    void onTimer(std::chrono::steady_clock::time_point now);
    void handle(std::span<std::uint8_t> datagram, const Endpoint& from, std::int64_t arrivalMicros);
    void handleDtls(Participant& p, std::span<std::uint8_t> datagram, std::int64_t arrivalMicros);
    void pollTcp();

    UdpSocket socket_;
    std::unique_ptr<TcpMediaServer> tcp_; ///< none when ICE-TCP is off
    std::string announced_;
    DtlsCertificate certificate_;
    DtlsContext dtlsContext_;
    SendBatch send_;
    ReceiveBatch receive_;
    RouterCounters counters_;
    PacketSender sender_{send_};
    IceLite ice_{send_, counters_};
    ParticipantDirectory participants_{ice_};
    KeyframeRequester keyframes_{sender_, counters_};
    RtpForwarder forwarder_{sender_, keyframes_, counters_};
    RtcpHandler rtcp_{sender_, forwarder_, keyframes_, counters_};
    RecordingTaps taps_{keyframes_};
    Negotiator negotiator_;
    LoadSampler sampler_{counters_};
    SubscriberBandwidth bandwidth_{sender_, keyframes_, counters_};

    std::chrono::steady_clock::time_point lastTimer_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point lastNacks_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point lastFeedback_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point lastSample_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point lastProbe_ = std::chrono::steady_clock::now();
    bool probing_ = false; ///< a probe runs: the loop wakes every probe tick (as while video is paced)

    int wake_;
    std::atomic<bool> stopping_{false};
    std::mutex commandMutex_;
    std::vector<std::function<void()>> commands_;
    bool closed_ = false; ///< under commandMutex_: no more commands are run
    std::thread thread_;
};

} // namespace parley::router
