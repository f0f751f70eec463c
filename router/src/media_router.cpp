#include <parley/router/media_router.h>

#include <parley/router/incoming_stream.h>
#include <parley/router/keyframe_request_coalescer.h>
#include <parley/router/packet_store.h>

#include <parley/log/log_event.h>
#include <parley/router/media_tap.h>

#include <parley/router/dtls_transport.h>
#include <parley/router/packet_kind.h>
#include <parley/router/rtcp_packet.h>
#include <parley/router/rtp_packet.h>
#include <parley/router/sdp.h>
#include <parley/router/stun_message.h>

#include "rtp_forwarding.h"
#include "traffic_meter.h"
#include "udp_socket.h"

#include <Poco/Logger.h>

#include <openssl/rand.h>

#include <arpa/inet.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace parley::router {
namespace {

using Clock = std::chrono::steady_clock;

Poco::Logger& logger()
{
    return Poco::Logger::get("router");
}

std::uint32_t randomSsrc()
{
    std::uint32_t value = 0;
    while (value == 0)
        RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value);
    return value;
}

std::string randomIceToken(std::size_t length)
{
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string token;
    while (token.size() < length) {
        unsigned char byte = 0;
        RAND_bytes(&byte, 1);
        if (byte < 248) // 248 = 4 * 62: keeps the characters equally likely
            token += kAlphabet[byte % 62];
    }
    return token;
}

/// Microseconds on the steady clock: arrival times for jitter and report delays.
std::int64_t nowMicros()
{
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count();
}

std::string primaryAddress()
{
    // Connecting a UDP socket sends nothing; it only makes the kernel pick the source
    // address of the default route.
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return "127.0.0.1";
    sockaddr_in target{};
    target.sin_family = AF_INET;
    target.sin_port = htons(9);
    inet_pton(AF_INET, "192.0.2.1", &target.sin_addr);
    std::string result = "127.0.0.1";
    if (::connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof target) == 0) {
        sockaddr_in local{};
        socklen_t length = sizeof local;
        char text[INET_ADDRSTRLEN];
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0 &&
            inet_ntop(AF_INET, &local.sin_addr, text, sizeof text))
            result = text;
    }
    ::close(fd);
    return result;
}

struct Participant;

/// One subscriber's copy of a publication.
struct Forward
{
    Participant* subscriber;
    std::uint32_t ssrc;
    std::uint8_t payloadType;
    // What this subscriber was sent of it, for the sender reports it gets.
    std::uint32_t packets = 0;
    std::uint32_t octets = 0; ///< payload bytes, as RFC 3550 counts them
};

/// A track a participant sends us.
struct Publication
{
    Participant* owner = nullptr;
    std::string trackId;
    std::string mid;
    std::string label; ///< audio, video or screen
    bool video = false;
    std::uint32_t ssrc = 0;
    std::uint8_t payloadType = 0;
    std::string codec;     ///< "opus", "VP8", "H264"
    int clockRate = 0;
    std::vector<Forward> forwards;
    // A recording of the room copies every packet into this ring, as track `tapTrack`.
    MediaTap* tap = nullptr;
    std::uint16_t tapTrack = 0;
    // What we receive of it, for receiver reports (made again when its SSRC or clock changes).
    std::optional<IncomingStream> incoming;
    /// Its recent packets, to answer subscribers' NACKs (made with `incoming`).
    std::unique_ptr<PacketStore> store;
    LossMeter loss; ///< the loss shown in the admin overview and /metrics, per second
    KeyframeRequestCoalescer keyframes;
};

/// A track a participant receives from us.
struct Subscription
{
    std::string mid;
    std::uint32_t ssrc;
    Publication* publication;
};

struct Participant
{
    std::string id;
    std::int64_t roomId = 0;
    std::string localUfrag;
    std::string localPassword;
    std::uint32_t rtcpSsrc = randomSsrc(); ///< sender SSRC of the RTCP we write to it
    std::optional<Endpoint> selected;
    Clock::time_point lastConsent{};
    std::unique_ptr<DtlsTransport> dtls;
    std::unique_ptr<SrtpSession> inbound;
    std::unique_ptr<SrtpSession> outbound;
    std::vector<std::unique_ptr<Publication>> publications;
    std::vector<Subscription> subscriptions;
    bool audioMuted = false;
    bool videoMuted = false;
    bool dtlsFailureLogged = false;
    /// Retransmissions it may still ask for until the next timer tick (NACK storms).
    int retransmitBudget = 0;
    TrafficMeter in;
    TrafficMeter out;
    double lossPercentIn = 0;
    double lossPercentOut = 0; ///< the worst fraction lost in its last receiver report
};

constexpr auto kConsentTimeout = std::chrono::seconds(30);
/// How often receiver reports go out and rates, loss and CPU are sampled.
constexpr auto kSampleInterval = std::chrono::seconds(1);
// Packets kept per publication for retransmission: about 2 s of video at 2.5 Mbit/s and
// 1 s of audio, by count and by age.
constexpr std::size_t kVideoStorePackets = 512;
constexpr std::int64_t kVideoStoreMicros = 2'000'000;
constexpr std::size_t kAudioStorePackets = 64;
constexpr std::int64_t kAudioStoreMicros = 1'000'000;
// At most this many sequence numbers answered per NACK packet, and per subscriber per
// timer tick (250 ms): a subscriber cannot make the router resend without bound.
constexpr std::size_t kMaxNackedPerPacket = 64;
constexpr int kRetransmitsPerTick = 250;

} // namespace

class MediaRouter::Worker
{
public:
    explicit Worker(const RouterSettings& settings)
        : socket_(settings.listenAddress, settings.port), certificate_(DtlsCertificate::generate()),
          dtlsContext_(certificate_), send_(socket_.descriptor()),
          wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC))
    {
        announced_ = settings.announcedAddress;
        if (announced_.empty())
            announced_ = settings.listenAddress != "0.0.0.0" && settings.listenAddress != "::"
                             ? settings.listenAddress
                             : primaryAddress();
        if (wake_ < 0)
            throw std::runtime_error("cannot create the router's wake-up descriptor");
        thread_ = std::thread([this] { loop(); });
        log::info(logger(), "router.listening",
                  "media router on UDP port " + std::to_string(socket_.port()) + ", announcing " + announced_,
                  {{"port", socket_.port()}, {"announced", announced_}});
    }

    ~Worker()
    {
        stopping_ = true;
        wakeUp();
        thread_.join();
        ::close(wake_);
    }

    /// Runs `task` on the worker thread and waits for it (exceptions are passed back).
    template <typename Result>
    Result run(std::function<Result()> task)
    {
        std::packaged_task<Result()> packaged(std::move(task));
        auto future = packaged.get_future();
        {
            std::lock_guard lock(commandMutex_);
            if (closed_)
                throw std::runtime_error("the media router has stopped");
            commands_.emplace_back([&packaged] { packaged(); });
        }
        wakeUp();
        return future.get();
    }

    Negotiation negotiate(std::int64_t roomId, const std::string& participantId, const SdpOffer& offer,
                          const std::map<std::string, std::string>& tracks,
                          const std::map<std::string, std::string>& subscriptions);
    void remove(const std::string& participantId);
    void setMuted(const std::string& participantId, const std::string& kind, bool muted)
    {
        // Remembered even before the participant's first offer, so a mute cannot be
        // escaped by negotiating after it.
        auto& state = mutes_[participantId];
        (kind == "audio" ? state.first : state.second) = muted;
        if (auto* p = find(participantId))
            (kind == "audio" ? p->audioMuted : p->videoMuted) = muted;
    }

    RouterStats stats() const
    {
        RouterStats s;
        s.packetsReceived = received_.load(std::memory_order_relaxed);
        s.packetsForwarded = forwarded_.load(std::memory_order_relaxed);
        s.droppedUnknownAddress = droppedUnknown_.load(std::memory_order_relaxed);
        s.droppedMalformed = droppedMalformed_.load(std::memory_order_relaxed);
        s.droppedAuthentication = droppedAuthentication_.load(std::memory_order_relaxed);
        s.droppedMuted = droppedMuted_.load(std::memory_order_relaxed);
        s.retransmitted = retransmitted_.load(std::memory_order_relaxed);
        s.nackMisses = nackMisses_.load(std::memory_order_relaxed);
        s.retransmitsRefused = retransmitsRefused_.load(std::memory_order_relaxed);
        s.stunAnswered = stunAnswered_.load(std::memory_order_relaxed);
        s.keyframeRequests = keyframeRequests_.load(std::memory_order_relaxed);
        s.keyframeRequestsFolded = keyframeRequestsFolded_.load(std::memory_order_relaxed);
        s.bytesReceived = publishedBytesIn_.load(std::memory_order_relaxed);
        s.bytesSent = publishedBytesOut_.load(std::memory_order_relaxed);
        s.packetsSent = publishedPacketsOut_.load(std::memory_order_relaxed);
        return s;
    }

    RouterLoad load() const
    {
        RouterLoad l;
        l.bitsPerSecondIn = rateIn_.load(std::memory_order_relaxed);
        l.bitsPerSecondOut = rateOut_.load(std::memory_order_relaxed);
        l.lossPercent = lossPermyriad_.load(std::memory_order_relaxed) / 100.0;
        l.cpuPercent = cpuPermyriad_.load(std::memory_order_relaxed) / 100.0;
        return l;
    }

    std::vector<ParticipantMedia> participantMedia(std::int64_t roomId) const
    {
        std::vector<ParticipantMedia> result;
        for (const auto& [id, participant] : participants_) {
            const auto& p = *participant;
            if (p.roomId != roomId)
                continue;
            result.push_back({p.id, p.in.bitsPerSecond, p.out.bitsPerSecond, p.lossPercentIn, p.lossPercentOut});
        }
        return result;
    }

    std::uint16_t port() const { return socket_.port(); }
    const std::string& announced() const { return announced_; }

private:
    void wakeUp()
    {
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto written = ::write(wake_, &one, sizeof one);
    }

    void loop();
    void runCommands();
    /// Adds a participant's metered traffic to the router's totals (worker only).
    void fold(Participant& p);
    void publishTotals();
    void onTimer();
    void sample(Clock::time_point now);
    void handle(std::span<std::uint8_t> datagram, const Endpoint& from);
    void handleStun(std::span<std::uint8_t> datagram, const Endpoint& from);
    void handleDtls(Participant& p, std::span<std::uint8_t> datagram);
    void handleRtp(Participant& p, std::span<std::uint8_t> datagram);
    void handleRtcp(Participant& p, std::span<std::uint8_t> datagram);
    void requestKeyframe(Publication& publication);
    void sendPli(Publication& publication);
    void sendRtcp(Participant& to, std::span<const std::uint8_t> plain);
    void translateSenderReport(Publication& publication, const RtcpView& report);
    void answerNack(Participant& subscriber, Publication& publication, std::span<const std::uint8_t> fci);
    void sendRaw(Participant& to, std::span<const std::uint8_t> datagram);
    void removePublication(Participant& owner, Publication* publication);
    void unsubscribe(Participant& subscriber, const Subscription& subscription);
    void attachToTap(Publication& publication);
    void detachFromTap(Publication& publication);

public:
    void startTap(std::int64_t roomId, std::shared_ptr<MediaTap> tap)
    {
        taps_[roomId] = {std::move(tap), 0};
        for (auto& [id, participant] : participants_)
            if (participant->roomId == roomId)
                for (auto& publication : participant->publications)
                    attachToTap(*publication);
    }
    void stopTap(std::int64_t roomId)
    {
        for (auto& [id, participant] : participants_)
            if (participant->roomId == roomId)
                for (auto& publication : participant->publications)
                    publication->tap = nullptr;
        taps_.erase(roomId);
    }
    void requestKeyframe(const std::string& trackId)
    {
        for (auto& [id, participant] : participants_)
            for (auto& publication : participant->publications)
                if (publication->trackId == trackId)
                    requestKeyframe(*publication);
    }

private:
    struct Tap
    {
        std::shared_ptr<MediaTap> ring;
        std::uint16_t nextTrack = 0;
    };

    Participant* find(const std::string& id)
    {
        const auto found = participants_.find(id);
        return found == participants_.end() ? nullptr : found->second.get();
    }

    UdpSocket socket_;
    DtlsCertificate certificate_;
    DtlsContext dtlsContext_;
    SendBatch send_;
    ReceiveBatch receive_;
    std::string announced_;
    int wake_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;

    std::mutex commandMutex_;
    std::vector<std::function<void()>> commands_;
    bool closed_ = false; ///< under commandMutex_: no more commands are run

    // Worker-thread state.
    std::unordered_map<std::string, std::unique_ptr<Participant>> participants_;
    std::unordered_map<std::string, Participant*> byUfrag_;
    std::unordered_map<Endpoint, Participant*, EndpointHash> byEndpoint_;
    std::unordered_map<std::string, std::pair<bool, bool>> mutes_; ///< id -> (audio, video)
    std::int64_t batchArrival_ = 0; ///< when the batch being handled was received, µs (steady)
    std::unordered_map<std::int64_t, Tap> taps_;                   ///< rooms being recorded
    Clock::time_point lastTimer_ = Clock::now();
    Clock::time_point lastReports_ = Clock::now();
    std::chrono::nanoseconds lastCpu_{0};
    // Written by sample() on the worker, read by load() anywhere.
    std::atomic<std::uint64_t> rateIn_{0}, rateOut_{0}, lossPermyriad_{0}, cpuPermyriad_{0};

    // Worker-only running totals of the participants' meters, and their last published copy.
    std::uint64_t bytesIn_ = 0, packetsIn_ = 0, bytesOut_ = 0, packetsOut_ = 0;
    std::atomic<std::uint64_t> publishedBytesIn_{0}, publishedBytesOut_{0}, publishedPacketsOut_{0};

    std::atomic<std::uint64_t> received_{0}, forwarded_{0}, droppedUnknown_{0}, droppedMalformed_{0},
        droppedAuthentication_{0}, droppedMuted_{0}, stunAnswered_{0}, keyframeRequests_{0}, retransmitted_{0},
        nackMisses_{0}, retransmitsRefused_{0}, keyframeRequestsFolded_{0};
};

void MediaRouter::Worker::loop()
{
    pollfd descriptors[2]{{socket_.descriptor(), POLLIN, 0}, {wake_, POLLIN, 0}};
    while (!stopping_) {
        ::poll(descriptors, 2, 20);
        if (descriptors[1].revents & POLLIN) {
            std::uint64_t count = 0;
            [[maybe_unused]] const auto read = ::read(wake_, &count, sizeof count);
            runCommands();
        }
        // Drain what is waiting, a batch at a time, sending each batch's output together.
        for (int round = 0; round < 64; ++round) {
            const auto count = receive_.receive(socket_.descriptor());
            if (count == 0)
                break;
            received_.fetch_add(count, std::memory_order_relaxed);
            // One clock reading per batch: the packets of a batch arrived together.
            batchArrival_ = nowMicros();
            for (std::size_t i = 0; i < count; ++i)
                handle(receive_.datagram(i), receive_.from(i));
            send_.flush();
        }
        if (Clock::now() - lastTimer_ >= std::chrono::milliseconds(250)) {
            onTimer();
            send_.flush();
            lastTimer_ = Clock::now();
        }
    }
    {
        std::lock_guard lock(commandMutex_);
        closed_ = true;
    }
    runCommands(); // let waiting callers return
}

void MediaRouter::Worker::runCommands()
{
    std::vector<std::function<void()>> commands;
    {
        std::lock_guard lock(commandMutex_);
        commands.swap(commands_);
    }
    for (auto& command : commands)
        command();
    send_.flush();
}

void MediaRouter::Worker::handle(std::span<std::uint8_t> datagram, const Endpoint& from)
{
    const auto kind = classify(datagram);
    switch (kind) {
    case PacketKind::Stun:
        handleStun(datagram, from);
        return;
    case PacketKind::Unknown:
        droppedMalformed_.fetch_add(1, std::memory_order_relaxed);
        return;
    default:
        break;
    }
    const auto found = byEndpoint_.find(from);
    if (found == byEndpoint_.end()) {
        // Media and DTLS only from an address that passed an ICE check.
        droppedUnknown_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    auto& p = *found->second;
    p.in.add(datagram.size());
    switch (kind) {
    case PacketKind::Dtls:
        handleDtls(p, datagram);
        break;
    case PacketKind::Rtp:
        handleRtp(p, datagram);
        break;
    case PacketKind::Rtcp:
        handleRtcp(p, datagram);
        break;
    default:
        break;
    }
}

void MediaRouter::Worker::handleStun(std::span<std::uint8_t> datagram, const Endpoint& from)
{
    StunMessage message;
    if (parseStun(datagram, message) != StunParseResult::Ok) {
        droppedMalformed_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    if (message.type != StunMessage::kBindingRequest)
        return; // indications and responses need no answer from a lite agent
    const auto colon = message.username.find(':');
    const auto local = message.username.substr(0, colon);
    const auto found = byUfrag_.find(std::string(local));
    if (colon == std::string_view::npos || found == byUfrag_.end()) {
        droppedUnknown_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    auto& p = *found->second;
    if (!stunFingerprintValid(datagram, message) || !stunIntegrityValid(datagram, message, p.localPassword)) {
        droppedAuthentication_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    auto slot = send_.slot();
    const auto length = writeStunBindingSuccess(slot, message.transactionId, from.address, p.localPassword);
    if (length == 0)
        return;
    send_.commit(length, from);
    stunAnswered_.fetch_add(1, std::memory_order_relaxed);
    const bool current = p.selected && *p.selected == from;
    if (current) {
        p.lastConsent = Clock::now();
        return;
    }
    // A nominated pair, or the first valid one: media goes here from now on (an address
    // change keeps the session: same DTLS and SRTP state).
    if (message.useCandidate || !p.selected) {
        if (p.selected)
            byEndpoint_.erase(*p.selected);
        p.selected = from;
        p.lastConsent = Clock::now();
        byEndpoint_[from] = &p;
    }
}

void MediaRouter::Worker::handleDtls(Participant& p, std::span<std::uint8_t> datagram)
{
    if (!p.dtls)
        return;
    const bool wasConnected = p.dtls->state() == DtlsTransport::State::Connected;
    p.dtls->receive(datagram);
    if (!wasConnected && p.dtls->state() == DtlsTransport::State::Connected) {
        const auto& keys = *p.dtls->keys();
        p.inbound = std::make_unique<SrtpSession>(keys.profile, SrtpSession::Direction::Inbound, keys.remote);
        p.outbound = std::make_unique<SrtpSession>(keys.profile, SrtpSession::Direction::Outbound, keys.local);
        log::info(logger(), "participant.media_connected", "participant " + p.id + " connected (DTLS-SRTP)",
                  {{"participant", p.id}});
        // It may be waiting for pictures already.
        for (auto& subscription : p.subscriptions)
            if (subscription.publication->video)
                requestKeyframe(*subscription.publication);
    }
    else if (p.dtls->state() == DtlsTransport::State::Failed && !p.dtlsFailureLogged) {
        p.dtlsFailureLogged = true;
        log::warning(logger(), "participant.dtls_failed", "participant " + p.id + ": " + p.dtls->failure(),
                     {{"participant", p.id}, {"error", p.dtls->failure()}});
    }
}

void MediaRouter::Worker::handleRtp(Participant& p, std::span<std::uint8_t> datagram)
{
    if (!p.inbound)
        return;
    const auto length = p.inbound->unprotectRtp(datagram.data(), datagram.size());
    if (length == 0) {
        droppedAuthentication_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    const auto packet = datagram.first(length);
    RtpView view;
    if (!parseRtp(packet, view)) {
        droppedMalformed_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    Publication* publication = nullptr;
    for (auto& candidate : p.publications)
        if (candidate->ssrc == view.ssrc) {
            publication = candidate.get();
            break;
        }
    if (!publication)
        return; // RTX or a stream not negotiated: not forwarded
    if (publication->video ? p.videoMuted : p.audioMuted) {
        droppedMuted_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    // Receiver statistics (RFC 3550 A.1, A.8). A packet far from the sequence (until the
    // next one confirms a restart) is neither counted nor forwarded.
    if (!publication->incoming->onPacket(view.sequence, view.timestamp, batchArrival_)) {
        droppedMalformed_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    publication->loss.received = publication->incoming->received();
    publication->store->store(view.sequence, packet, batchArrival_);

    if (publication->tap && packet.size() <= TapEntry::kMaxData) {
        if (auto* entry = publication->tap->claim()) {
            entry->kind = TapEntry::Kind::Rtp;
            entry->track = publication->tapTrack;
            entry->length = static_cast<std::uint16_t>(packet.size());
            entry->arrival = std::chrono::duration_cast<std::chrono::microseconds>(
                                 Clock::now().time_since_epoch()).count();
            std::memcpy(entry->data.data(), packet.data(), packet.size());
            publication->tap->publish();
        }
    }

    for (auto& forward : publication->forwards) {
        auto& subscriber = *forward.subscriber;
        if (!subscriber.outbound || !subscriber.selected)
            continue;
        auto slot = send_.slot();
        const auto length = writeForwardedCopy(packet, view, forward.ssrc, forward.payloadType,
                                               *subscriber.outbound, slot);
        if (length == 0)
            continue;
        send_.commit(length, *subscriber.selected);
        ++forward.packets;
        forward.octets += static_cast<std::uint32_t>(view.payloadLength);
        subscriber.out.add(length);
        forwarded_.fetch_add(1, std::memory_order_relaxed);
    }
}

void MediaRouter::Worker::handleRtcp(Participant& p, std::span<std::uint8_t> datagram)
{
    if (!p.inbound)
        return;
    const auto length = p.inbound->unprotectRtcp(datagram.data(), datagram.size());
    if (length == 0) {
        droppedAuthentication_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    const auto compound = datagram.first(length);
    const auto subscriptionFor = [&p](std::uint32_t ssrc) -> Subscription* {
        for (auto& subscription : p.subscriptions)
            if (subscription.ssrc == ssrc)
                return &subscription;
        return nullptr;
    };
    const bool valid = forEachRtcp(compound, [&](const RtcpView& packet) {
        if (packet.type == kRtcpPayloadFeedback && (packet.count == 1 || packet.count == 4)) {
            // PLI names the media SSRC in the header, FIR in its first FCI entry.
            std::uint32_t media = packet.mediaSsrc();
            if (packet.count == 4 && packet.bytes.size() >= 16)
                media = std::uint32_t(packet.bytes[12]) << 24 | std::uint32_t(packet.bytes[13]) << 16 |
                        std::uint32_t(packet.bytes[14]) << 8 | packet.bytes[15];
            if (auto* subscription = subscriptionFor(media))
                requestKeyframe(*subscription->publication);
        }
        else if (packet.type == kRtcpTransportFeedback && packet.count == 1) {
            // NACK: answered from the publication's recent packets, not relayed (the router
            // keeps the publisher's sequence numbers, so a resent copy fills the hole).
            if (auto* subscription = subscriptionFor(packet.mediaSsrc()); subscription && packet.bytes.size() > 12)
                answerNack(p, *subscription->publication, packet.bytes.subspan(12));
        }
        else if (packet.type == kRtcpReceiverReport || packet.type == kRtcpSenderReport) {
            // What it says about the streams we send it: the worst one's loss.
            std::uint8_t worst = 0;
            bool any = false;
            for (std::size_t i = 0; i < packet.count; ++i) {
                const auto block = reportBlock(packet, i);
                if (!block)
                    break;
                if (subscriptionFor(block->ssrc)) {
                    worst = std::max(worst, block->fractionLost);
                    any = true;
                }
            }
            if (any)
                p.lossPercentOut = worst * 100.0 / 256.0;
        }
        if (packet.type == kRtcpSenderReport && packet.bytes.size() >= 28) {
            for (auto& publication : p.publications)
                if (publication->ssrc == packet.senderSsrc()) {
                    const auto* b = packet.bytes.data();
                    std::uint64_t ntp = 0;
                    for (int i = 8; i < 16; ++i)
                        ntp = ntp << 8 | b[i];
                    publication->incoming->onSenderReport(ntp, batchArrival_);
                    translateSenderReport(*publication, packet);
                    if (publication->tap)
                        if (auto* entry = publication->tap->claim()) {
                            entry->kind = TapEntry::Kind::SenderReport;
                            entry->track = publication->tapTrack;
                            entry->length = 0;
                            entry->arrival = std::chrono::duration_cast<std::chrono::microseconds>(
                                                 Clock::now().time_since_epoch()).count();
                            entry->ntp = 0;
                            for (int i = 8; i < 16; ++i)
                                entry->ntp = entry->ntp << 8 | b[i];
                            entry->rtpTimestamp = std::uint32_t(b[16]) << 24 | std::uint32_t(b[17]) << 16 |
                                                  std::uint32_t(b[18]) << 8 | b[19];
                            publication->tap->publish();
                        }
                }
        }
    });
    if (!valid)
        droppedMalformed_.fetch_add(1, std::memory_order_relaxed);
}

void MediaRouter::Worker::answerNack(Participant& subscriber, Publication& publication,
                                     std::span<const std::uint8_t> fci)
{
    Forward* forward = nullptr;
    for (auto& candidate : publication.forwards)
        if (candidate.subscriber == &subscriber)
            forward = &candidate;
    if (!forward || !subscriber.outbound || !subscriber.selected || !publication.store)
        return;
    forEachNackedSequence(fci, kMaxNackedPerPacket, [&](std::uint16_t sequence) {
        if (subscriber.retransmitBudget <= 0) {
            retransmitsRefused_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        const auto stored = publication.store->find(sequence, batchArrival_);
        RtpView view;
        if (stored.empty() || !parseRtp(stored, view)) {
            nackMisses_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        auto slot = send_.slot();
        const auto length = writeForwardedCopy(stored, view, forward->ssrc, forward->payloadType, *subscriber.outbound, slot);
        if (length == 0)
            return;
        send_.commit(length, *subscriber.selected);
        subscriber.out.add(length);
        --subscriber.retransmitBudget;
        retransmitted_.fetch_add(1, std::memory_order_relaxed);
    });
}

void MediaRouter::Worker::translateSenderReport(Publication& publication, const RtcpView& report)
{
    // Each subscriber gets the publisher's NTP/RTP pairing under the SSRC it knows the copy
    // by (the router keeps the publisher's RTP timestamps), with the counts of what it was
    // sent: browsers line audio and video up by it and learn their round trip.
    const auto info = senderInfo(report);
    if (!info)
        return;
    for (const auto& forward : publication.forwards) {
        std::uint8_t out[28];
        const auto length =
            writeRtcpSenderReport(out, {forward.ssrc, info->ntp, info->rtpTimestamp, forward.packets, forward.octets});
        sendRtcp(*forward.subscriber, {out, length});
    }
}

void MediaRouter::Worker::sendRaw(Participant& to, std::span<const std::uint8_t> datagram)
{
    if (!to.selected || datagram.size() > SendBatch::kSlotBytes)
        return;
    auto slot = send_.slot();
    std::memcpy(slot.data(), datagram.data(), datagram.size());
    send_.commit(datagram.size(), *to.selected);
    to.out.add(datagram.size());
}

void MediaRouter::Worker::sendRtcp(Participant& to, std::span<const std::uint8_t> plain)
{
    if (!to.outbound || !to.selected || plain.size() + kSrtpMaxTrailer > SendBatch::kSlotBytes)
        return;
    auto slot = send_.slot();
    std::memcpy(slot.data(), plain.data(), plain.size());
    const auto length = to.outbound->protectRtcp(slot.data(), plain.size(), slot.size());
    if (length) {
        send_.commit(length, *to.selected);
        to.out.add(length);
    }
}

void MediaRouter::Worker::requestKeyframe(Publication& publication)
{
    if (!publication.video)
        return;
    if (publication.keyframes.request(nowMicros()))
        sendPli(publication);
    else
        keyframeRequestsFolded_.fetch_add(1, std::memory_order_relaxed);
}

void MediaRouter::Worker::sendPli(Publication& publication)
{
    std::uint8_t pli[12];
    writeRtcpPli(pli, publication.owner->rtcpSsrc, publication.ssrc);
    sendRtcp(*publication.owner, pli);
    keyframeRequests_.fetch_add(1, std::memory_order_relaxed);
}

void MediaRouter::Worker::onTimer()
{
    const auto now = Clock::now();
    const bool reportsDue = now - lastReports_ >= kSampleInterval;
    if (reportsDue) {
        sample(now);
        lastReports_ = now;
    }
    for (auto& [id, participant] : participants_) {
        auto& p = *participant;
        p.retransmitBudget = kRetransmitsPerTick;
        for (auto& publication : p.publications)
            if (publication->video && publication->keyframes.due(nowMicros()))
                sendPli(*publication);
        if (p.dtls)
            p.dtls->onTimer();
        // Consent freshness (RFC 7675): no valid check for 30 s, no more media to or from it.
        if (p.selected && now - p.lastConsent > kConsentTimeout) {
            log::info(logger(), "participant.consent_expired", "participant " + p.id + ": consent expired",
                      {{"participant", p.id}});
            byEndpoint_.erase(*p.selected);
            p.selected.reset();
        }
        // A receiver report per second to each publisher about what it sends us.
        if (!reportsDue || !p.outbound || p.publications.empty())
            continue;
        ReportBlock blocks[31];
        std::size_t count = 0;
        const auto reportedAt = nowMicros();
        for (auto& publication : p.publications) {
            if (!publication->incoming->started() || count == 31)
                continue;
            blocks[count++] = publication->incoming->report(reportedAt);
        }
        if (count == 0)
            continue;
        std::uint8_t report[8 + 24 * 31];
        const auto length = writeRtcpReceiverReport(report, p.rtcpSsrc, {blocks, count});
        sendRtcp(p, {report, length});
    }
}

void MediaRouter::Worker::sample(Clock::time_point now)
{
    const auto elapsed = now - lastReports_;
    std::uint64_t in = 0;
    std::uint64_t out = 0;
    std::uint64_t expected = 0;
    std::uint64_t received = 0;
    for (auto& [id, participant] : participants_) {
        auto& p = *participant;
        p.in.sample(elapsed);
        p.out.sample(elapsed);
        fold(p);
        in += p.in.bitsPerSecond;
        out += p.out.bitsPerSecond;
        std::uint64_t ownExpected = 0;
        std::uint64_t ownReceived = 0;
        for (auto& publication : p.publications) {
            if (!publication->incoming->started())
                continue;
            const auto [e, r] = publication->loss.sample(publication->incoming->baseSequence(),
                                                         publication->incoming->extendedHighest());
            ownExpected += e;
            ownReceived += r;
        }
        p.lossPercentIn = ownExpected ? 100.0 * double(ownExpected - ownReceived) / double(ownExpected) : 0.0;
        expected += ownExpected;
        received += ownReceived;
    }
    publishTotals();
    rateIn_.store(in, std::memory_order_relaxed);
    rateOut_.store(out, std::memory_order_relaxed);
    lossPermyriad_.store(expected ? (expected - received) * 10000 / expected : 0, std::memory_order_relaxed);
    // This runs on the worker, so the thread's own CPU clock is the router's packet work.
    timespec cpu{};
    if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0) {
        const auto used = std::chrono::seconds(cpu.tv_sec) + std::chrono::nanoseconds(cpu.tv_nsec);
        const auto wall = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
        if (wall > 0 && lastCpu_.count() > 0)
            cpuPermyriad_.store(static_cast<std::uint64_t>((used - lastCpu_).count() * 10000 / wall),
                                std::memory_order_relaxed);
        lastCpu_ = used;
    }
}

void MediaRouter::Worker::unsubscribe(Participant& subscriber, const Subscription& subscription)
{
    auto& forwards = subscription.publication->forwards;
    std::erase_if(forwards, [&](const Forward& f) { return f.subscriber == &subscriber && f.ssrc == subscription.ssrc; });
}

void MediaRouter::Worker::attachToTap(Publication& publication)
{
    const auto found = taps_.find(publication.owner->roomId);
    if (found == taps_.end() || publication.tap)
        return;
    auto& tap = found->second;
    auto* entry = tap.ring->claim();
    if (!entry)
        return; // the recorder is far behind; the track joins at its next negotiation
    publication.tap = tap.ring.get();
    publication.tapTrack = tap.nextTrack++;
    const std::string text = publication.trackId + " " + publication.label + " " + publication.codec + " " +
                             std::to_string(publication.clockRate);
    entry->kind = TapEntry::Kind::TrackAdded;
    entry->track = publication.tapTrack;
    entry->length = static_cast<std::uint16_t>(std::min(text.size(), TapEntry::kMaxData));
    std::memcpy(entry->data.data(), text.data(), entry->length);
    publication.tap->publish();
    // A recording of video starts at a keyframe.
    if (publication.video)
        requestKeyframe(publication);
}

void MediaRouter::Worker::detachFromTap(Publication& publication)
{
    if (!publication.tap)
        return;
    if (auto* entry = publication.tap->claim()) {
        entry->kind = TapEntry::Kind::TrackRemoved;
        entry->track = publication.tapTrack;
        entry->length = 0;
        publication.tap->publish();
    }
    publication.tap = nullptr;
}

void MediaRouter::Worker::removePublication(Participant& owner, Publication* publication)
{
    detachFromTap(*publication);
    for (const auto& forward : publication->forwards)
        std::erase_if(forward.subscriber->subscriptions,
                      [&](const Subscription& s) { return s.publication == publication; });
    std::erase_if(owner.publications, [&](const auto& p) { return p.get() == publication; });
}

void MediaRouter::Worker::remove(const std::string& participantId)
{
    mutes_.erase(participantId);
    auto* p = find(participantId);
    if (!p)
        return;
    while (!p->publications.empty())
        removePublication(*p, p->publications.back().get());
    for (const auto& subscription : p->subscriptions)
        unsubscribe(*p, subscription);
    if (p->selected)
        byEndpoint_.erase(*p->selected);
    byUfrag_.erase(p->localUfrag);
    fold(*p);
    publishTotals();
    participants_.erase(participantId);
}

void MediaRouter::Worker::fold(Participant& p)
{
    p.in.fold(bytesIn_, packetsIn_);
    p.out.fold(bytesOut_, packetsOut_);
}

void MediaRouter::Worker::publishTotals()
{
    // Plain stores: only the worker writes them.
    publishedBytesIn_.store(bytesIn_, std::memory_order_relaxed);
    publishedBytesOut_.store(bytesOut_, std::memory_order_relaxed);
    publishedPacketsOut_.store(packetsOut_, std::memory_order_relaxed);
}

Negotiation MediaRouter::Worker::negotiate(std::int64_t roomId, const std::string& participantId,
                                           const SdpOffer& offer,
                                           const std::map<std::string, std::string>& tracks,
                                           const std::map<std::string, std::string>& subscriptions)
{
    auto* p = find(participantId);
    if (!p) {
        auto created = std::make_unique<Participant>();
        created->id = participantId;
        created->roomId = roomId;
        do
            created->localUfrag = randomIceToken(8);
        while (byUfrag_.contains(created->localUfrag));
        created->localPassword = randomIceToken(24);
        if (const auto muted = mutes_.find(participantId); muted != mutes_.end()) {
            created->audioMuted = muted->second.first;
            created->videoMuted = muted->second.second;
        }
        p = created.get();
        byUfrag_[p->localUfrag] = p;
        participants_[participantId] = std::move(created);
    }
    if (p->roomId != roomId)
        throw SdpError("this participant belongs to another room");
    if (!p->dtls) {
        std::string fingerprint;
        for (const auto& media : offer.media)
            if (media.port != 0 && !media.fingerprint.empty()) {
                fingerprint = media.fingerprint;
                break;
            }
        if (fingerprint.rfind("sha-256 ", 0) != 0)
            throw SdpError("the offer has no sha-256 fingerprint");
        p->dtls = std::make_unique<DtlsTransport>(dtlsContext_, fingerprint,
                                                  [this, p](std::span<const std::uint8_t> d) { sendRaw(*p, d); });
    }

    std::vector<SdpAnswerMedia> answers(offer.media.size());
    std::vector<std::string> publishedMids;
    std::vector<std::string> subscribedMids;
    std::vector<Publication*> needKeyframe;
    for (std::size_t i = 0; i < offer.media.size(); ++i) {
        const auto& media = offer.media[i];
        auto& answer = answers[i];
        if (media.port == 0 || (media.kind != "audio" && media.kind != "video") || media.mid.empty())
            continue; // Rejected
        answer.codec = chooseCodec(media);
        if (!answer.codec)
            continue;
        answer.role = SdpAnswerMedia::Role::Inactive;
        const bool peerSends = media.direction == "sendonly" || media.direction == "sendrecv";
        const bool peerReceives = media.direction == "recvonly" || media.direction == "sendrecv";
        const auto label = tracks.find(media.mid);
        const auto wanted = subscriptions.find(media.mid);
        if (peerSends && label != tracks.end() && media.primarySsrc != 0) {
            answer.role = SdpAnswerMedia::Role::Receive;
            Publication* publication = nullptr;
            for (auto& existing : p->publications)
                if (existing->mid == media.mid)
                    publication = existing.get();
            if (!publication) {
                p->publications.push_back(std::make_unique<Publication>());
                publication = p->publications.back().get();
                publication->owner = p;
                publication->mid = media.mid;
                publication->trackId = p->id + "/" + media.mid;
            }
            publication->label = label->second == "screen" || label->second == "video" ? label->second : "audio";
            publication->video = media.kind == "video";
            if (publication->ssrc != media.primarySsrc || publication->clockRate != answer.codec->clockRate ||
                !publication->incoming) {
                publication->incoming.emplace(media.primarySsrc, static_cast<std::uint32_t>(answer.codec->clockRate));
                publication->store = media.kind == "video"
                                         ? std::make_unique<PacketStore>(kVideoStorePackets, kVideoStoreMicros)
                                         : std::make_unique<PacketStore>(kAudioStorePackets, kAudioStoreMicros);
                publication->loss = LossMeter{};
            }
            publication->ssrc = media.primarySsrc;
            publication->payloadType = static_cast<std::uint8_t>(answer.codec->payloadType);
            publication->codec = answer.codec->name;
            publication->clockRate = answer.codec->clockRate;
            publishedMids.push_back(media.mid);
        }
        else if (peerReceives && wanted != subscriptions.end()) {
            Publication* source = nullptr;
            for (auto& [otherId, other] : participants_)
                if (other->roomId == roomId && other.get() != p)
                    for (auto& publication : other->publications)
                        if (publication->trackId == wanted->second &&
                            publication->video == (media.kind == "video"))
                            source = publication.get();
            if (!source)
                continue; // Inactive: the track is gone or never existed in this room
            Subscription* subscription = nullptr;
            for (auto& existing : p->subscriptions)
                if (existing.mid == media.mid)
                    subscription = &existing;
            if (subscription && subscription->publication != source) {
                unsubscribe(*p, *subscription);
                std::erase_if(p->subscriptions, [&](const Subscription& s) { return s.mid == media.mid; });
                subscription = nullptr;
            }
            const auto payloadType = static_cast<std::uint8_t>(answer.codec->payloadType);
            if (!subscription) {
                p->subscriptions.push_back({media.mid, randomSsrc(), source});
                subscription = &p->subscriptions.back();
                source->forwards.push_back({p, subscription->ssrc, payloadType});
                needKeyframe.push_back(source);
            }
            for (auto& forward : source->forwards)
                if (forward.subscriber == p && forward.ssrc == subscription->ssrc)
                    forward.payloadType = payloadType;
            answer.role = SdpAnswerMedia::Role::Send;
            answer.sendSsrc = subscription->ssrc;
            answer.streamId = source->owner->id;
            answer.trackId = source->owner->id + "-" + source->mid;
            subscribedMids.push_back(media.mid);
        }
    }
    // Sections that are no longer published or subscribed end their forwarding.
    for (std::size_t i = p->publications.size(); i-- > 0;)
        if (std::find(publishedMids.begin(), publishedMids.end(), p->publications[i]->mid) == publishedMids.end())
            removePublication(*p, p->publications[i].get());
    for (const auto& subscription : p->subscriptions)
        if (std::find(subscribedMids.begin(), subscribedMids.end(), subscription.mid) == subscribedMids.end())
            unsubscribe(*p, subscription);
    std::erase_if(p->subscriptions, [&](const Subscription& s) {
        return std::find(subscribedMids.begin(), subscribedMids.end(), s.mid) == subscribedMids.end();
    });
    for (auto* publication : needKeyframe)
        if (p->outbound)
            requestKeyframe(*publication);
    for (auto& publication : p->publications)
        attachToTap(*publication);

    Negotiation result;
    result.answer = buildSdpAnswer(offer, answers,
                                   {p->localUfrag, p->localPassword, certificate_.fingerprint(), announced_,
                                    static_cast<int>(socket_.port())});
    for (const auto& publication : p->publications)
        result.published.push_back({publication->trackId, publication->label});
    return result;
}

MediaRouter::MediaRouter(const RouterSettings& settings) : worker_(std::make_unique<Worker>(settings)) {}

MediaRouter::~MediaRouter() = default;

Negotiation MediaRouter::negotiate(std::int64_t roomId, const std::string& participantId,
                                   const std::string& offer, const std::map<std::string, std::string>& tracks,
                                   const std::map<std::string, std::string>& subscriptions)
{
    const auto parsed = parseSdpOffer(offer); // parsing stays off the worker thread
    return worker_->run<Negotiation>(
        [&] { return worker_->negotiate(roomId, participantId, parsed, tracks, subscriptions); });
}

void MediaRouter::startTap(std::int64_t roomId, std::shared_ptr<MediaTap> tap)
{
    worker_->run<void>([&] { worker_->startTap(roomId, std::move(tap)); });
}

void MediaRouter::stopTap(std::int64_t roomId)
{
    worker_->run<void>([&] { worker_->stopTap(roomId); });
}

void MediaRouter::requestKeyframe(const std::string& trackId)
{
    worker_->run<void>([&] { worker_->requestKeyframe(trackId); });
}

void MediaRouter::removeParticipant(const std::string& participantId)
{
    worker_->run<void>([&] { worker_->remove(participantId); });
}

void MediaRouter::setMuted(const std::string& participantId, const std::string& kind, bool muted)
{
    worker_->run<void>([&] { worker_->setMuted(participantId, kind, muted); });
}

RouterStats MediaRouter::stats() const
{
    return worker_->stats();
}

std::vector<ParticipantMedia> MediaRouter::participantMedia(std::int64_t roomId) const
{
    return worker_->run<std::vector<ParticipantMedia>>([this, roomId] { return worker_->participantMedia(roomId); });
}

RouterLoad MediaRouter::load() const
{
    return worker_->load();
}

std::uint16_t MediaRouter::port() const
{
    return worker_->port();
}

const std::string& MediaRouter::announcedAddress() const
{
    return worker_->announced();
}

} // namespace parley::router
