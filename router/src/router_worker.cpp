#include "router_worker.h"

#include "announced_address.h"
#include "playout_delay_policy.h"
#include "steady_micros.h"

#include <parley/log/log_event.h>
#include <parley/router/packet_kind.h>

#include <Poco/Logger.h>

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace parley::router {
namespace {

using Clock = std::chrono::steady_clock;

/// How long the loop sleeps in poll() at most when nothing arrives (timers still run).
constexpr int kPollTimeoutMillis = 20;
/// Batches drained per wake-up before the loop looks at commands and timers again.
constexpr int kBatchesPerWake = 64;

Poco::Logger& logger()
{
    return Poco::Logger::get("router");
}


} // namespace

MediaRouter::Worker::Worker(const RouterSettings& settings)
    : socket_(settings.listenAddress, settings.port),
      tcp_(settings.tcpPort ? std::make_unique<TcpMediaServer>(settings.listenAddress, *settings.tcpPort) : nullptr),
      announced_(announcedAddressFor(settings)), certificate_(DtlsCertificate::generate()),
      dtlsContext_(certificate_), send_(socket_.descriptor()),
      negotiator_(participants_, sender_, keyframes_, taps_, dtlsContext_, certificate_,
                  {announced_, socket_.port(), tcp_ ? tcp_->port() : std::uint16_t(0)}),
      wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC))
{
    if (wake_ < 0)
        throw std::runtime_error("cannot create the router's wake-up descriptor");
    if (tcp_)
        send_.setFramedSink(tcp_.get());
    thread_ = std::thread([this] { loop(); });
    log::info(logger(), "router.listening",
              "media router on UDP port " + std::to_string(socket_.port()) +
                  (tcp_ ? " and TCP port " + std::to_string(tcp_->port()) : std::string()) + ", announcing " +
                  announced_,
              {{"port", socket_.port()}, {"tcp_port", tcp_ ? int(tcp_->port()) : 0}, {"announced", announced_}});
}

MediaRouter::Worker::~Worker()
{
    stopping_ = true;
    wakeUp();
    thread_.join();
    ::close(wake_);
}

void MediaRouter::Worker::wakeUp()
{
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(wake_, &one, sizeof one);
}

void MediaRouter::Worker::loop()
{
    // Named for `top -H` and the load generator's per-thread CPU figures.
    ::pthread_setname_np(::pthread_self(), "parley-media");
    pollfd descriptors[3]{{socket_.descriptor(), POLLIN, 0}, {wake_, POLLIN, 0}, {tcp_ ? tcp_->descriptor() : -1, POLLIN, 0}};
    while (!stopping_) {
        ::poll(descriptors, tcp_ ? 3 : 2,
               probing_ || forwarder_.pacing() ? static_cast<int>(SubscriberBandwidth::kProbeTickMicros / 1000)
                                               : kPollTimeoutMillis);
        if (descriptors[1].revents & POLLIN) {
            std::uint64_t count = 0;
            [[maybe_unused]] const auto read = ::read(wake_, &count, sizeof count);
            runCommands();
        }
        // Drain what is waiting, a batch at a time, sending each batch's output together.
        for (int round = 0; round < kBatchesPerWake; ++round) {
            const auto count = receive_.receive(socket_.descriptor());
            if (count == 0)
                break;
            counters_.received.add(count);
            sender_.setTime(steadyMicros(Clock::now()));
            for (std::size_t i = 0; i < count; ++i)
                handle(receive_.datagram(i), endpointOf(receive_, i), receive_.arrivalMicros(i));
            send_.flush();
        }
        if (tcp_ && (descriptors[2].revents & POLLIN))
            pollTcp();
        const auto now = Clock::now();
        sender_.setTime(steadyMicros(now));
        if (now - lastProbe_ >= std::chrono::microseconds(SubscriberBandwidth::kProbeTickMicros)) {
            forwarder_.sendPaced(participants_, steadyMicros(now));
            probing_ = bandwidth_.sendProbes(participants_, steadyMicros(now));
            send_.flush();
            lastProbe_ = now;
        }
        if (now - lastNacks_ >= kNackInterval) {
            const auto nowMicros = steadyMicros(now);
            for (const auto& [id, participant] : participants_)
                for (auto& publication : participant->publications)
                    forwarder_.sendNacks(*publication, nowMicros);
            send_.flush();
            lastNacks_ = now;
        }
        if (now - lastFeedback_ >= kFeedbackInterval) {
            for (const auto& [id, participant] : participants_)
                rtcp_.sendTransportFeedback(*participant);
            send_.flush();
            lastFeedback_ = now;
        }
        if (now - lastTimer_ >= kTimerInterval) {
            onTimer(now);
            send_.flush();
            lastTimer_ = now;
        }
    }
    {
        std::lock_guard lock(commandMutex_);
        closed_ = true;
    }
    runCommands(); // let waiting callers return
}

void MediaRouter::Worker::pollTcp()
{
    tcp_->poll(
        [this](std::span<std::uint8_t> frame, const Endpoint& from, std::int64_t arrival) {
            counters_.received.add();
            handle(frame, from, arrival);
        },
        [this](const Endpoint& gone) { ice_.forget(gone); });
    send_.flush();
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

void MediaRouter::Worker::handle(std::span<std::uint8_t> datagram, const Endpoint& from, std::int64_t arrivalMicros)
{
    const auto kind = classify(datagram);
    if (kind == PacketKind::Stun) {
        ice_.onStun(datagram, from, Clock::now());
        return;
    }
    if (kind == PacketKind::Unknown) {
        counters_.droppedMalformed.add();
        return;
    }
    auto* p = ice_.participantAt(from);
    if (!p) {
        // Media and DTLS only from an address that passed an ICE check.
        counters_.droppedUnknownAddress.add();
        return;
    }
    p->in.add(datagram.size());
    switch (kind) {
    case PacketKind::Dtls:
        handleDtls(*p, datagram, arrivalMicros);
        break;
    case PacketKind::Rtp:
        forwarder_.onRtp(*p, datagram, arrivalMicros);
        break;
    case PacketKind::Rtcp:
        rtcp_.onRtcp(*p, datagram, arrivalMicros);
        break;
    default:
        break;
    }
}

void MediaRouter::Worker::handleDtls(Participant& p, std::span<std::uint8_t> datagram, std::int64_t arrivalMicros)
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
            if (auto* stream = subscription.publication->outgoingTo(p, subscription.ssrc))
                keyframes_.requestFor(*subscription.publication, stream->layers, arrivalMicros);
    }
    else if (p.dtls->state() == DtlsTransport::State::Failed && !p.dtlsFailureLogged) {
        p.dtlsFailureLogged = true;
        log::warning(logger(), "participant.dtls_failed", "participant " + p.id + ": " + p.dtls->failure(),
                     {{"participant", p.id}, {"error", p.dtls->failure()}});
    }
}

void MediaRouter::Worker::onTimer(Clock::time_point now)
{
    const bool sampleDue = now - lastSample_ >= kSampleInterval;
    if (sampleDue) {
        sampler_.sample(participants_, now - lastSample_);
        PlayoutDelayPolicy::update(participants_, steadyMicros(now));
        lastSample_ = now;
    }
    const auto nowMicros = steadyMicros(now);
    bandwidth_.allocate(participants_, nowMicros);
    if (tcp_)
        tcp_->closeIdle(now, [this](const Endpoint& gone) { ice_.forget(gone); });
    for (const auto& [id, participant] : participants_) {
        auto& p = *participant;
        p.retransmitBudget = kRetransmitsPerTick;
        for (auto& publication : p.publications) {
            taps_.followBestLayer(*publication, nowMicros);
            keyframes_.onTimer(*publication, nowMicros);
        }
        if (p.dtls)
            p.dtls->onTimer();
        ice_.checkConsent(p, now);
        // A receiver report per second to each publisher about what it sends us.
        if (sampleDue)
            rtcp_.sendReceiverReport(p, nowMicros);
    }
}

void MediaRouter::Worker::remove(const std::string& participantId)
{
    if (auto removed = participants_.remove(participantId))
        sampler_.fold(*removed);
}

Negotiation MediaRouter::Worker::negotiate(std::int64_t roomId, const std::string& participantId,
                                           const SdpOffer& offer, const std::map<std::string, std::string>& tracks,
                                           const std::map<std::string, std::string>& subscriptions)
{
    return negotiator_.negotiate(roomId, participantId, offer, tracks, subscriptions, steadyMicros(Clock::now()));
}

void MediaRouter::Worker::startTap(std::int64_t roomId, std::shared_ptr<MediaTap> tap)
{
    taps_.start(roomId, std::move(tap));
    const auto now = steadyMicros(Clock::now());
    for (const auto& [id, participant] : participants_)
        if (participant->roomId == roomId)
            for (auto& publication : participant->publications)
                taps_.attach(*publication, roomId, now);
}

void MediaRouter::Worker::stopTap(std::int64_t roomId)
{
    for (const auto& [id, participant] : participants_)
        if (participant->roomId == roomId)
            for (auto& publication : participant->publications)
                publication->tap = nullptr;
    taps_.stop(roomId);
}

void MediaRouter::Worker::requestKeyframe(const std::string& trackId)
{
    const auto now = steadyMicros(Clock::now());
    for (const auto& [id, participant] : participants_)
        for (auto& publication : participant->publications)
            if (publication->trackId == trackId)
                keyframes_.requestAll(*publication, now);
}

std::vector<ParticipantMedia> MediaRouter::Worker::participantMedia(std::int64_t roomId) const
{
    std::vector<ParticipantMedia> result;
    for (const auto& [id, participant] : participants_) {
        const auto& p = *participant;
        if (p.roomId == roomId)
            result.push_back({p.id, p.in.bitsPerSecond, p.out.bitsPerSecond, p.lossPercentIn, p.lossPercentOut});
    }
    return result;
}

} // namespace parley::router
