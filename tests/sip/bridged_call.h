// What the SIP media tests share: SIP endpoints' media written out over real UDP sockets on
// 127.0.0.1 (a tone over SDES-SRTP; a VP8-like video stream), and a bridged call (endpoint
// and sip::CallMedia) joined to a real in-process media router.
#pragma once

#include "eventually.h"

#include <parley/router/dtls_certificate.h>
#include <parley/router/dtls_transport.h>
#include <parley/router/media_router.h>
#include <parley/router/rtcp_packet.h>
#include <parley/router/rtp_packet.h>
#include <parley/router/srtp_session.h>
#include <parley/sip/audio_mixer.h>
#include <parley/sip/audio_transcoder.h>
#include <parley/sip/call_media.h>

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <numbers>
#include <thread>
#include <vector>

namespace parley::test {

using namespace std::chrono_literals;

/// The tone's share of the signal's power at `hz` (Goertzel), against the whole.
inline double toneShare(const std::vector<float>& samples, double hz, int rate)
{
    if (samples.empty())
        return 0;
    const double coefficient = 2 * std::cos(2 * std::numbers::pi * hz / rate);
    double s1 = 0, s2 = 0, total = 0;
    for (const float sample : samples) {
        const double s0 = sample + coefficient * s1 - s2;
        s2 = s1;
        s1 = s0;
        total += static_cast<double>(sample) * sample;
    }
    const double power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
    return total > 0 ? 2 * power / (samples.size() * total) : 0;
}

/// The 20 ms blocks of `samples` that are not silence, one after another.
inline std::vector<float> soundingParts(const std::vector<float>& samples)
{
    std::vector<float> sounding;
    for (std::size_t at = 0; at + sip::kBridgeFrame <= samples.size(); at += sip::kBridgeFrame) {
        double energy = 0;
        for (std::size_t i = at; i < at + sip::kBridgeFrame; ++i)
            energy += static_cast<double>(samples[i]) * samples[i];
        if (energy / sip::kBridgeFrame > 0.01 * 0.01)
            sounding.insert(sounding.end(), samples.begin() + static_cast<std::ptrdiff_t>(at),
                            samples.begin() + static_cast<std::ptrdiff_t>(at + sip::kBridgeFrame));
    }
    return sounding;
}

inline double rms(const std::vector<float>& samples)
{
    double total = 0;
    for (const float sample : samples)
        total += static_cast<double>(sample) * sample;
    return samples.empty() ? 0 : std::sqrt(total / samples.size());
}

inline sip::CryptoAttribute freshKey(router::SrtpProfile suite)
{
    return sip::freshCrypto(1, suite);
}

/// An endpoint's media socket: UDP on 127.0.0.1 (a port of its own), sending to one address.
struct LoopbackSocket
{
    LoopbackSocket()
    {
        fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        socklen_t length = sizeof address;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
        port = ntohs(address.sin_port);
    }
    ~LoopbackSocket() { ::close(fd); }
    LoopbackSocket(const LoopbackSocket&) = delete;
    LoopbackSocket& operator=(const LoopbackSocket&) = delete;
    void aim(const std::string& address, std::uint16_t toPort)
    {
        to.sin_family = AF_INET;
        to.sin_port = htons(toPort);
        inet_pton(AF_INET, address.c_str(), &to.sin_addr);
    }

    int fd = -1;
    std::uint16_t port = 0;
    sockaddr_in to{};
};

/// A media router on 127.0.0.1 and the DTLS context the bridges use towards it.
struct LoopbackRouter
{
    static router::RouterSettings loopback()
    {
        router::RouterSettings settings;
        settings.listenAddress = "127.0.0.1";
        settings.port = 0;
        return settings;
    }
    router::MediaRouter router{loopback()};
    const router::DtlsContext context{router::DtlsCertificate::generate(), router::DtlsRole::Client};
};

/// A SIP endpoint's media as the bridge sees it: a UDP socket, SDES keys each way, a tone
/// sent every 20 ms in the call's codec, and what comes back decoded.
class ToneEndpoint
{
public:
    ToneEndpoint(sip::AudioCodec codec, unsigned payloadType, double hz)
        : codec_(codec), payloadType_(payloadType), hz_(hz), key_(freshKey(router::SrtpProfile::Aes128CmHmacSha1_80))
    {
    }
    ~ToneEndpoint() { stop(); }

    sip::MediaPlan plan() const
    {
        sip::MediaPlan plan;
        plan.codec = codec_;
        plan.payloadType = payloadType_;
        plan.telephoneEvent = 101;
        plan.remoteAddress = "127.0.0.1";
        plan.remotePort = socket_.port;
        plan.rtcpMux = true;
        plan.remoteCrypto = key_;
        return plan;
    }

    /// Starts sending to the bridge, whose key (its SDP answer's) is `bridgeKey`.
    void start(const sip::LocalMedia& bridge, const sip::CryptoAttribute& bridgeKey)
    {
        outbound_ = std::make_unique<router::SrtpSession>(key_.suite, router::SrtpSession::Direction::Outbound,
                                                          key_.key.bytes());
        firstOutbound_ = std::make_unique<router::SrtpSession>(key_.suite, router::SrtpSession::Direction::Outbound,
                                                               key_.key.bytes());
        inbound_ = std::make_unique<router::SrtpSession>(bridgeKey.suite, router::SrtpSession::Direction::Inbound,
                                                         bridgeKey.key.bytes());
        socket_.aim(bridge.address, bridge.audioPort);
        thread_ = std::thread([this] { run(); });
    }
    void stop()
    {
        stopping_ = true;
        if (thread_.joinable())
            thread_.join();
    }
    /// From now on sends a tone of `hz` (0: silence).
    void setTone(double hz) { hz_ = hz; }
    /// Sends an RTCP receiver report twice a second about what it received (as baresip does
    /// every few seconds).
    void sendReports() { reports_ = true; }
    /// Takes no new key of the bridge's in a rekey, as baresip before 3.12 does not.
    void keepBridgeKey() { keepsBridgeKey_ = true; }
    /// Sends DTMF `event` as baresip does: packets with the marker on the first, all with the
    /// press's timestamp, and the end packet three times.
    void pressDigit(std::uint8_t event)
    {
        const std::lock_guard lock(mutex_);
        pendingDigits_.push_back(event);
    }

    /// The first half of a rekey as an endpoint answering Parley's re-INVITE does it: it
    /// takes the bridge's new key `bridgeKey` besides the old one, and sends with `ownKey`
    /// from `sendSwitchDelay` on (until then its packets under the old key are in flight).
    void rekey(const sip::CryptoAttribute& ownKey, const sip::CryptoAttribute& bridgeKey,
               std::chrono::milliseconds sendSwitchDelay)
    {
        const std::lock_guard lock(mutex_);
        if (!keepsBridgeKey_) {
            previousInbound_ = std::move(inbound_);
            inbound_ = std::make_unique<router::SrtpSession>(bridgeKey.suite, router::SrtpSession::Direction::Inbound,
                                                             bridgeKey.key.bytes());
        }
        nextOutbound_ = std::make_unique<router::SrtpSession>(ownKey.suite, router::SrtpSession::Direction::Outbound,
                                                              ownKey.key.bytes());
        switchAt_ = std::chrono::steady_clock::now() + sendSwitchDelay;
    }
    /// When each packet it could open arrived.
    std::vector<std::chrono::steady_clock::time_point> arrivals()
    {
        const std::lock_guard lock(mutex_);
        return arrivals_;
    }
    int unopened()
    {
        const std::lock_guard lock(mutex_);
        return unopened_;
    }
    /// Keeps the packet it sent last, exactly as it went, for replay().
    void remember()
    {
        const std::lock_guard lock(mutex_);
        remembered_ = lastSent_;
        rememberedLength_ = lastSentLength_;
    }
    /// Sends the remembered packet again (a replay).
    void replay()
    {
        const std::lock_guard lock(mutex_);
        ::sendto(socket_.fd, remembered_.data(), rememberedLength_, 0, reinterpret_cast<sockaddr*>(&socket_.to), sizeof socket_.to);
    }
    /// Sends one packet under its first key, as a late or replayed packet would come.
    void sendUnderFirstKey()
    {
        const std::lock_guard lock(mutex_);
        sendUnderFirst_ = true;
    }

    /// What it received in the last `window`, decoded (48 kHz).
    std::vector<float> heard()
    {
        const std::lock_guard lock(mutex_);
        return heard_;
    }
    void forget()
    {
        const std::lock_guard lock(mutex_);
        heard_.clear();
    }

private:
    static constexpr std::uint32_t kSsrc = 0x11000000;

    void run()
    {
        sip::AudioEncoder encoder(codec_);
        sip::AudioDecoder decoder(codec_);
        std::uint16_t sequence = 1000;
        std::uint32_t timestamp = 5000, phase = 0;
        auto next = std::chrono::steady_clock::now();
        std::vector<float> decoded;
        while (!stopping_) {
            std::array<float, sip::kBridgeFrame> frame{};
            for (auto& sample : frame)
                sample = 0.3f * static_cast<float>(std::sin(2 * std::numbers::pi * hz_.load() * phase++ / sip::kBridgeRate));
            std::array<std::uint8_t, 1600> packet{};
            std::uint8_t event = 255;
            {
                const std::lock_guard lock(mutex_);
                if (!pendingDigits_.empty()) {
                    event = pendingDigits_.front();
                    pendingDigits_.erase(pendingDigits_.begin());
                }
            }
            if (event != 255) {
                for (int i = 0; i < 6; ++i) {
                    const bool end = i >= 3;
                    router::writeRtpHeader(packet, i == 0, 101, sequence++, timestamp, kSsrc);
                    packet[12] = event;
                    packet[13] = static_cast<std::uint8_t>((end ? 0x80 : 0) | 10);
                    packet[14] = 0;
                    packet[15] = static_cast<std::uint8_t>(160 * (i + 1));
                    send(packet.data(), 16);
                }
            }
            const auto length = encoder.encode(frame, std::span<std::uint8_t>(packet).subspan(12, 1400));
            if (length > 0) {
                router::writeRtpHeader(packet, false, static_cast<std::uint8_t>(payloadType_), sequence++, timestamp,
                                       kSsrc);
                bool underFirst = false;
                {
                    const std::lock_guard lock(mutex_);
                    if (nextOutbound_ && std::chrono::steady_clock::now() >= switchAt_)
                        outbound_ = std::move(nextOutbound_);
                    std::swap(underFirst, sendUnderFirst_);
                }
                if (underFirst) {
                    auto copy = packet;
                    send(copy.data(), 12 + length, *firstOutbound_);
                }
                send(packet.data(), 12 + length);
            }
            timestamp += encoder.timestampStep();
            if (reports_ && ++ticks_ % 25 == 0) {
                std::array<std::uint8_t, 128> report{};
                router::ReportBlock block;
                std::uint32_t from = 0;
                {
                    const std::lock_guard lock(mutex_);
                    from = bridgeSsrc_;
                    block.ssrc = bridgeSsrc_;
                    block.highestSequence = highestReceived_;
                }
                if (from != 0) {
                    const auto length = router::writeRtcpReceiverReport(report, kSsrc, std::span(&block, 1));
                    const auto protectedLength = outbound_->protectRtcp(report.data(), length, report.size());
                    ::sendto(socket_.fd, report.data(), protectedLength, 0, reinterpret_cast<sockaddr*>(&socket_.to), sizeof socket_.to);
                }
            }
            for (;;) {
                std::array<std::uint8_t, 1600> in{};
                const auto got = ::recv(socket_.fd, in.data(), in.size(), 0);
                if (got <= 0)
                    break;
                const std::lock_guard lock(mutex_);
                // A failed AEAD decryption changes the packet: the second key gets a copy.
                const auto copy = in;
                auto plain = inbound_->unprotectRtp(in.data(), static_cast<std::size_t>(got));
                if (plain == 0 && previousInbound_) {
                    in = copy;
                    plain = previousInbound_->unprotectRtp(in.data(), static_cast<std::size_t>(got));
                }
                router::RtpView view;
                if (plain == 0 || !router::parseRtp({in.data(), plain}, view)) {
                    ++unopened_;
                    continue;
                }
                arrivals_.push_back(std::chrono::steady_clock::now());
                bridgeSsrc_ = view.ssrc;
                if (static_cast<std::int16_t>(view.sequence - static_cast<std::uint16_t>(highestReceived_)) > 0 ||
                    highestReceived_ == 0)
                    highestReceived_ = view.sequence;
                decoded.clear();
                decoder.decode(std::span<const std::uint8_t>(in).subspan(view.payloadOffset, view.payloadLength), decoded);
                heard_.insert(heard_.end(), decoded.begin(), decoded.end());
            }
            next += 20ms;
            std::this_thread::sleep_until(next);
        }
    }
    void send(std::uint8_t* packet, std::size_t length) { send(packet, length, *outbound_); }
    void send(std::uint8_t* packet, std::size_t length, router::SrtpSession& outbound)
    {
        const auto protectedLength = outbound.protectRtp(packet, length, 1600);
        ::sendto(socket_.fd, packet, protectedLength, 0, reinterpret_cast<sockaddr*>(&socket_.to), sizeof socket_.to);
        const std::lock_guard lock(mutex_);
        std::memcpy(lastSent_.data(), packet, protectedLength);
        lastSentLength_ = protectedLength;
    }

    sip::AudioCodec codec_;
    unsigned payloadType_;
    std::atomic<double> hz_; ///< 0: silence
    sip::CryptoAttribute key_;
    LoopbackSocket socket_;
    std::unique_ptr<router::SrtpSession> outbound_, inbound_;
    std::unique_ptr<router::SrtpSession> firstOutbound_, nextOutbound_, previousInbound_;
    std::chrono::steady_clock::time_point switchAt_;
    bool sendUnderFirst_ = false;
    std::atomic<bool> reports_{false};
    bool keepsBridgeKey_ = false;
    int ticks_ = 0;
    std::uint32_t bridgeSsrc_ = 0, highestReceived_ = 0;
    std::vector<std::chrono::steady_clock::time_point> arrivals_;
    int unopened_ = 0;
    std::array<std::uint8_t, 1600> lastSent_{}, remembered_{};
    std::size_t lastSentLength_ = 0, rememberedLength_ = 0;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
    std::mutex mutex_;
    std::vector<float> heard_;
    std::vector<std::uint8_t> pendingDigits_;
};

/// A SIP endpoint's video as the bridge sees it: a VP8 stream of one packet a frame at 30
/// frames a second over SDES-SRTP with rtcp-mux, each payload tagged with the endpoint's
/// `tag`; a keyframe first and whenever it is asked (RTCP PLI, RFC 5104 FIR, RFC 2032 FIR, or
/// keyframe() as a SIP INFO would). Records the video it receives and the requests.
class VideoEndpoint
{
public:
    static constexpr unsigned kPayloadType = 100;

    explicit VideoEndpoint(std::uint8_t tag) : tag_(tag), key_(freshKey(router::SrtpProfile::Aes128CmHmacSha1_80))
    {
    }
    ~VideoEndpoint() { stop(); }

    sip::VideoPlan plan(bool pli, bool fir) const
    {
        sip::VideoPlan plan;
        plan.index = 1;
        plan.codec = sip::VideoCodec::Vp8;
        plan.payloadType = kPayloadType;
        plan.remoteAddress = "127.0.0.1";
        plan.remotePort = socket_.port;
        plan.rtcpMux = true;
        plan.pli = pli;
        plan.fir = fir;
        plan.remoteCrypto = key_;
        return plan;
    }
    void start(const sip::LocalMedia& bridge, const sip::CryptoAttribute& bridgeKey)
    {
        outbound_ = std::make_unique<router::SrtpSession>(key_.suite, router::SrtpSession::Direction::Outbound,
                                                          key_.key.bytes());
        inbound_ = std::make_unique<router::SrtpSession>(bridgeKey.suite, router::SrtpSession::Direction::Inbound,
                                                         bridgeKey.key.bytes());
        socket_.aim(bridge.address, bridge.videoPort);
        thread_ = std::thread([this] { run(); });
    }
    void stop()
    {
        stopping_ = true;
        if (thread_.joinable())
            thread_.join();
    }
    /// Its next frame is a keyframe (as on a SIP INFO picture_fast_update).
    void keyframe() { keyframeWanted_ = true; }
    /// Sends `plain` RTCP (a keyframe request of its own) to the bridge.
    void sendRtcp(std::span<const std::uint8_t> plain)
    {
        const std::lock_guard lock(mutex_);
        std::array<std::uint8_t, 256> packet{};
        std::memcpy(packet.data(), plain.data(), plain.size());
        const auto length = outbound_->protectRtcp(packet.data(), plain.size(), packet.size());
        ::sendto(socket_.fd, packet.data(), length, 0, reinterpret_cast<sockaddr*>(&socket_.to), sizeof socket_.to);
    }

    struct Frame
    {
        std::uint8_t tag;
        bool keyframe;
        std::uint16_t sequence;
        std::uint32_t timestamp;
        std::uint32_t ssrc;
        std::uint8_t payloadType;
    };
    std::vector<Frame> received()
    {
        const std::lock_guard lock(mutex_);
        return received_;
    }
    int rtcpRequests() const { return rtcpRequests_; }
    int compoundRequests() const { return compoundRequests_; }
    int keyframesSent() const { return keyframesSent_; }

private:
    void run()
    {
        std::uint16_t sequence = 7000;
        std::uint32_t timestamp = 90000;
        auto next = std::chrono::steady_clock::now();
        bool first = true;
        while (!stopping_) {
            const bool key = first || keyframeWanted_.exchange(false);
            first = false;
            std::array<std::uint8_t, 256> packet{};
            router::writeRtpHeader(packet, true, kPayloadType, sequence++, timestamp, kSsrc);
            packet[12] = 0x10;              // VP8 descriptor: start of partition 0
            packet[13] = key ? 0x00 : 0x01; // frame tag: bit 0 clear on a keyframe
            packet[14] = tag_;
            {
                const std::lock_guard lock(mutex_);
                const auto length = outbound_->protectRtp(packet.data(), 12 + 100, packet.size());
                ::sendto(socket_.fd, packet.data(), length, 0, reinterpret_cast<sockaddr*>(&socket_.to), sizeof socket_.to);
            }
            if (key)
                ++keyframesSent_;
            timestamp += 3000;
            receive();
            next += 33ms;
            std::this_thread::sleep_until(next);
        }
    }
    void receive()
    {
        for (;;) {
            std::array<std::uint8_t, 1600> in{};
            const auto got = ::recv(socket_.fd, in.data(), in.size(), 0);
            if (got <= 0)
                return;
            const std::lock_guard lock(mutex_);
            const bool rtcp = got >= 2 && in[1] >= 192 && in[1] <= 223;
            if (rtcp) {
                const auto plain = inbound_->unprotectRtcp(in.data(), static_cast<std::size_t>(got));
                bool reportFirst = false, first = true;
                router::forEachRtcp(std::span<const std::uint8_t>(in.data(), plain), [&](const router::RtcpView& r) {
                    if (first)
                        reportFirst = r.type == router::kRtcpSenderReport || r.type == router::kRtcpReceiverReport;
                    first = false;
                    if (r.type == router::kRtcpFullIntraRequest ||
                        (r.type == router::kRtcpPayloadFeedback && (r.count == 1 || r.count == 4))) {
                        ++rtcpRequests_;
                        if (reportFirst)
                            ++compoundRequests_; // as RFC 3550 6.1 wants without rtcp-rsize
                        keyframeWanted_ = true;
                    }
                });
                continue;
            }
            const auto plain = inbound_->unprotectRtp(in.data(), static_cast<std::size_t>(got));
            router::RtpView view;
            if (plain == 0 || !router::parseRtp({in.data(), plain}, view) || view.payloadLength < 3)
                continue;
            const auto* payload = in.data() + view.payloadOffset;
            received_.push_back({payload[2], (payload[1] & 0x01) == 0, view.sequence, view.timestamp, view.ssrc,
                                 view.payloadType});
        }
    }

    static constexpr std::uint32_t kSsrc = 0x22000000;
    std::uint8_t tag_;
    sip::CryptoAttribute key_;
    LoopbackSocket socket_;
    std::unique_ptr<router::SrtpSession> outbound_, inbound_;
    std::atomic<bool> keyframeWanted_{false};
    std::atomic<int> rtcpRequests_{0}, compoundRequests_{0}, keyframesSent_{0};
    std::atomic<bool> stopping_{false};
    std::thread thread_;
    std::mutex mutex_;
    std::vector<Frame> received_;
};

/// How a bridged call's endpoint does video: which RTCP keyframe requests it offered (with
/// neither, the bridge asks by SIP INFO, which the test answers as the endpoint would).
struct VideoOptions
{
    std::uint8_t tag = 0;
    bool pli = true;
    bool fir = false;
};

/// A bridged call: its endpoint and its bridge, joined to room 1 of `router` as `id`.
struct BridgedCall
{
    BridgedCall(router::MediaRouter& router, const router::DtlsContext& context, std::string participantId,
                sip::AudioCodec codec, unsigned payloadType, double hz, std::optional<VideoOptions> withVideo = {})
        : media(router), id(std::move(participantId)), endpoint(codec, payloadType, hz),
          localKey(freshKey(router::SrtpProfile::AeadAes128Gcm)), videoKey(freshKey(router::SrtpProfile::AeadAes128Gcm))
    {
        if (withVideo)
            video = std::make_unique<VideoEndpoint>(withVideo->tag);
        sip::CallMedia::Callbacks callbacks;
        callbacks.digit = [this](char digit) {
            const std::lock_guard lock(digitMutex);
            digits += digit;
        };
        callbacks.failed = [this](const std::string& why) {
            const std::lock_guard lock(digitMutex);
            failure = why;
        };
        callbacks.rekeyNotTaken = [this] { ++rekeysNotTaken; };
        callbacks.keyframeWanted = [this] {
            ++infoRequests;
            if (video)
                video->keyframe(); // what the endpoint does on SIP INFO picture_fast_update
        };
        auto plan = endpoint.plan();
        if (withVideo)
            plan.video = video->plan(withVideo->pli, withVideo->fir);
        bridge = std::make_unique<sip::CallMedia>(
            plan, sip::CallKeys{localKey, withVideo ? std::optional(videoKey) : std::nullopt}, "127.0.0.1",
            "127.0.0.1", context, callbacks);
        endpoint.start(bridge->local(), localKey);
        if (video)
            video->start(bridge->local(), videoKey);
    }
    /// Negotiates with the router, receiving `others` (tracks other calls published);
    /// returns what it publishes.
    std::vector<router::PublishedTrack> negotiateTracks(const std::vector<router::PublishedTrack>& others)
    {
        std::vector<sip::WantedTrack> tracks;
        for (const auto& track : others)
            tracks.push_back({track.id, track.kind, track.id.substr(0, track.id.find('/'))});
        const auto offer = bridge->routerOffer(tracks);
        const auto negotiation = media.negotiate(1, id, offer.sdp, offer.tracks, offer.subscriptions);
        bridge->applyRouterAnswer(negotiation.answer);
        return negotiation.published;
    }
    /// Negotiates with the router, receiving `tracks`; returns what it publishes.
    std::string negotiate(const std::vector<std::string>& audioTracks)
    {
        std::vector<sip::WantedTrack> tracks;
        for (const auto& track : audioTracks)
            tracks.push_back({track, "audio", track.substr(0, track.find('/'))});
        const auto offer = bridge->routerOffer(tracks);
        const auto negotiation = media.negotiate(1, id, offer.sdp, offer.tracks, offer.subscriptions);
        bridge->applyRouterAnswer(negotiation.answer);
        return negotiation.published.empty() ? std::string() : negotiation.published.front().id;
    }
    std::string digitsSoFar()
    {
        const std::lock_guard lock(digitMutex);
        return digits;
    }

    router::MediaRouter& media;
    std::string id;
    ToneEndpoint endpoint;
    sip::CryptoAttribute localKey, videoKey;
    std::unique_ptr<VideoEndpoint> video;
    std::atomic<int> infoRequests{0}, rekeysNotTaken{0};
    std::unique_ptr<sip::CallMedia> bridge;
    std::mutex digitMutex;
    std::string digits, failure;
};

} // namespace parley::test
