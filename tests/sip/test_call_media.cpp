// A SIP call's media bridge against Parley's real media router, in process: endpoints that
// speak SDES-SRTP over real UDP sockets on 127.0.0.1, the bridge's own ICE, DTLS and SRTP to
// the router, tones checked by frequency.
#include "eventually.h"

#include <parley/router/dtls_certificate.h>
#include <parley/router/dtls_transport.h>
#include <parley/router/media_router.h>
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

using namespace parley;
using namespace std::chrono_literals;

namespace {

/// The tone's share of the signal's power at `hz` (Goertzel), against the whole.
double toneShare(const std::vector<float>& samples, double hz, int rate)
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
std::vector<float> soundingParts(const std::vector<float>& samples)
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

double rms(const std::vector<float>& samples)
{
    double total = 0;
    for (const float sample : samples)
        total += static_cast<double>(sample) * sample;
    return samples.empty() ? 0 : std::sqrt(total / samples.size());
}

sip::CryptoAttribute freshKey(router::SrtpProfile suite)
{
    return sip::freshCrypto(1, suite);
}

/// A SIP endpoint's media as the bridge sees it: a UDP socket, SDES keys each way, a tone
/// sent every 20 ms in the call's codec, and what comes back decoded.
class ToneEndpoint
{
public:
    ToneEndpoint(sip::AudioCodec codec, unsigned payloadType, double hz)
        : codec_(codec), payloadType_(payloadType), hz_(hz), key_(freshKey(router::SrtpProfile::Aes128CmHmacSha1_80))
    {
        fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        socklen_t length = sizeof address;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
    }
    ~ToneEndpoint()
    {
        stop();
        ::close(fd_);
    }

    sip::MediaPlan plan() const
    {
        sip::MediaPlan plan;
        plan.codec = codec_;
        plan.payloadType = payloadType_;
        plan.telephoneEvent = 101;
        plan.remoteAddress = "127.0.0.1";
        plan.remotePort = port_;
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
        to_.sin_family = AF_INET;
        to_.sin_port = htons(bridge.audioPort);
        inet_pton(AF_INET, bridge.address.c_str(), &to_.sin_addr);
        thread_ = std::thread([this] { run(); });
    }
    void stop()
    {
        stopping_ = true;
        if (thread_.joinable())
            thread_.join();
    }
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
        previousInbound_ = std::move(inbound_);
        inbound_ = std::make_unique<router::SrtpSession>(bridgeKey.suite, router::SrtpSession::Direction::Inbound,
                                                         bridgeKey.key.bytes());
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
        ::sendto(fd_, remembered_.data(), rememberedLength_, 0, reinterpret_cast<sockaddr*>(&to_), sizeof to_);
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
                sample = 0.3f * static_cast<float>(std::sin(2 * std::numbers::pi * hz_ * phase++ / sip::kBridgeRate));
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
            for (;;) {
                std::array<std::uint8_t, 1600> in{};
                const auto got = ::recv(fd_, in.data(), in.size(), 0);
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
        ::sendto(fd_, packet, protectedLength, 0, reinterpret_cast<sockaddr*>(&to_), sizeof to_);
        const std::lock_guard lock(mutex_);
        std::memcpy(lastSent_.data(), packet, protectedLength);
        lastSentLength_ = protectedLength;
    }

    sip::AudioCodec codec_;
    unsigned payloadType_;
    double hz_;
    sip::CryptoAttribute key_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    sockaddr_in to_{};
    std::unique_ptr<router::SrtpSession> outbound_, inbound_;
    std::unique_ptr<router::SrtpSession> firstOutbound_, nextOutbound_, previousInbound_;
    std::chrono::steady_clock::time_point switchAt_;
    bool sendUnderFirst_ = false;
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

/// A bridged call: its endpoint and its bridge, joined to room 1 of `router` as `id`.
struct BridgedCall
{
    BridgedCall(router::MediaRouter& router, const router::DtlsContext& context, std::string participantId, sip::AudioCodec codec, unsigned payloadType, double hz)
        : media(router), id(std::move(participantId)), endpoint(codec, payloadType, hz),
          localKey(freshKey(router::SrtpProfile::AeadAes128Gcm))
    {
        sip::CallMedia::Callbacks callbacks;
        callbacks.digit = [this](char digit) {
            const std::lock_guard lock(digitMutex);
            digits += digit;
        };
        callbacks.failed = [this](const std::string& why) {
            const std::lock_guard lock(digitMutex);
            failure = why;
        };
        bridge = std::make_unique<sip::CallMedia>(endpoint.plan(), sip::CallKeys{localKey, std::nullopt}, "127.0.0.1", "127.0.0.1", context,
                                                  callbacks);
        endpoint.start(bridge->local(), localKey);
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
    sip::CryptoAttribute localKey;
    std::unique_ptr<sip::CallMedia> bridge;
    std::mutex digitMutex;
    std::string digits, failure;
};

} // namespace

TEST_CASE("Two SIP calls bridged into one meeting hear each other's tones, through G.722 and G.711 transcoding "
          "and the router's DTLS-SRTP",
          "[sip][media]")
{
    router::RouterSettings settings;
    settings.listenAddress = "127.0.0.1";
    settings.port = 0;
    router::MediaRouter router(settings);
    const router::DtlsContext context(router::DtlsCertificate::generate(), router::DtlsRole::Client);

    BridgedCall ward(router, context, "ward-3", sip::AudioCodec::G722, 9, 600);
    BridgedCall desk(router, context, "desk-7", sip::AudioCodec::Pcmu, 0, 1000);
    const auto wardTrack = ward.negotiate({});
    const auto deskTrack = desk.negotiate({wardTrack});
    REQUIRE(!wardTrack.empty());
    REQUIRE(!deskTrack.empty());
    ward.negotiate({deskTrack});

    // Each hears the other's tone, not its own.
    REQUIRE(test::eventually([&] { return ward.endpoint.heard().size() > 48'000 && desk.endpoint.heard().size() > 48'000; }, 15s));
    ward.endpoint.forget();
    desk.endpoint.forget();
    std::this_thread::sleep_for(1s);
    const auto wardHeard = ward.endpoint.heard();
    const auto deskHeard = desk.endpoint.heard();
    CAPTURE(ward.failure, desk.failure, rms(wardHeard), rms(deskHeard));
    CHECK(toneShare(wardHeard, 1000, sip::kBridgeRate) > 0.5);
    CHECK(toneShare(wardHeard, 600, sip::kBridgeRate) < 0.05);
    CHECK(toneShare(deskHeard, 600, sip::kBridgeRate) > 0.5);
    CHECK(toneShare(deskHeard, 1000, sip::kBridgeRate) < 0.05);
    CHECK(ward.bridge->stats().packetsToMeeting > 40);
    CHECK(ward.bridge->stats().endpointRejected == 0);
    CHECK(ward.bridge->stats().meetingRejected == 0);

    SECTION("a moderator's mute in the router silences the call for the others")
    {
        router.setMuted("ward-3", "audio", true);
        std::this_thread::sleep_for(500ms);
        desk.endpoint.forget();
        std::this_thread::sleep_for(1s);
        CHECK(rms(desk.endpoint.heard()) < 0.01);
        router.setMuted("ward-3", "audio", false);
        desk.endpoint.forget();
        REQUIRE(test::eventually([&] { return rms(desk.endpoint.heard()) > 0.05; }, 5s));
    }
    SECTION("DTMF digits are recognised once each, not once per packet")
    {
        for (const std::uint8_t event : {1, 2, 3, 11})
            ward.endpoint.pressDigit(event);
        REQUIRE(test::eventually([&] { return ward.digitsSoFar().size() >= 4; }, 5s));
        std::this_thread::sleep_for(200ms);
        CHECK(ward.digitsSoFar() == "123#");
    }
    SECTION("the prompt replaces the meeting while it is on")
    {
        ward.bridge->setPrompt(true);
        std::this_thread::sleep_for(300ms);
        ward.endpoint.forget();
        std::this_thread::sleep_for(2s);
        // Two beeps of 440 Hz every 2 s, and nothing of the meeting.
        const auto prompted = soundingParts(ward.endpoint.heard());
        CHECK(prompted.size() > sip::kBridgeFrame * 10);
        CHECK(prompted.size() < sip::kBridgeRate);
        CHECK(toneShare(prompted, 440, sip::kBridgeRate) > 0.5);
        CHECK(toneShare(prompted, 1000, sip::kBridgeRate) < 0.05);
    }
}

TEST_CASE("The mixer sums the three loudest voices and leaves a voice out until it has 40 ms again", "[sip][media]")
{
    sip::AudioMixer mixer(3);
    std::array<float, sip::kBridgeFrame> out{};
    const std::vector<float> frame(sip::kBridgeFrame, 0.1f);
    // Four voices, of rising loudness.
    for (std::uint32_t voice = 1; voice <= 4; ++voice) {
        std::vector<float> samples(sip::kBridgeFrame * 2, 0.1f * voice);
        mixer.push(voice, samples);
    }
    mixer.mix(out);
    CHECK(mixer.mixedLast() == 3);
    CHECK(out[0] == Approx(0.2f + 0.3f + 0.4f).epsilon(0.001));
    // One frame left each: the next mix uses it, then they have run dry.
    mixer.mix(out);
    CHECK(out[100] == Approx(0.9f).epsilon(0.001));
    mixer.mix(out);
    CHECK(mixer.mixedLast() == 0);
    CHECK(out[0] == 0.0f);
    mixer.push(1, frame);
    mixer.mix(out);
    CHECK(mixer.mixedLast() == 0); // 20 ms is not enough after running dry
    mixer.push(1, frame);
    mixer.mix(out);
    CHECK(mixer.mixedLast() == 1);
    // Loud voices are clipped, not wrapped.
    for (std::uint32_t voice = 1; voice <= 3; ++voice)
        mixer.push(voice, std::vector<float>(sip::kBridgeFrame * 2, 0.9f));
    mixer.mix(out);
    CHECK(out[0] == 1.0f);
}

TEST_CASE("Transcoding keeps a tone's frequency through each codec a SIP endpoint may use", "[sip][media]")
{
    for (const auto codec : {sip::AudioCodec::Opus, sip::AudioCodec::G722, sip::AudioCodec::Pcmu, sip::AudioCodec::Pcma}) {
        CAPTURE(sip::audioCodecName(codec));
        sip::AudioEncoder encoder(codec);
        sip::AudioDecoder decoder(codec);
        std::vector<float> decoded;
        std::uint32_t phase = 0;
        for (int frame = 0; frame < 50; ++frame) {
            std::array<float, sip::kBridgeFrame> samples{};
            for (auto& sample : samples)
                sample = 0.3f * static_cast<float>(std::sin(2 * std::numbers::pi * 700 * phase++ / sip::kBridgeRate));
            std::array<std::uint8_t, 1500> payload{};
            const auto length = encoder.encode(samples, payload);
            if (length > 0)
                CHECK(decoder.decode({payload.data(), length}, decoded));
        }
        REQUIRE(decoded.size() > 40'000);
        const std::vector<float> settled(decoded.begin() + 4800, decoded.end());
        CHECK(toneShare(settled, 700, sip::kBridgeRate) > 0.8);
        CHECK(rms(settled) == Approx(0.3 / std::sqrt(2)).epsilon(0.2));
    }
    // Garbage is refused, not a crash.
    sip::AudioDecoder opus(sip::AudioCodec::Opus);
    std::vector<float> out;
    const std::vector<std::uint8_t> garbage(200, 0xff);
    CHECK_FALSE(opus.decode(garbage, out));
    CHECK_FALSE(opus.decode({}, out));
}

namespace {

/// The longest time between two packets of `arrivals` from `from` on.
std::chrono::milliseconds longestGap(const std::vector<std::chrono::steady_clock::time_point>& arrivals,
                                     std::chrono::steady_clock::time_point from)
{
    std::chrono::steady_clock::duration longest{};
    for (std::size_t i = 1; i < arrivals.size(); ++i)
        if (arrivals[i] >= from)
            longest = std::max(longest, arrivals[i] - arrivals[i - 1]);
    return std::chrono::duration_cast<std::chrono::milliseconds>(longest);
}

/// The longest run of silence in `samples`, 20 ms blocks at a time.
std::chrono::milliseconds longestSilence(const std::vector<float>& samples)
{
    int run = 0, longest = 0;
    for (std::size_t at = 0; at + sip::kBridgeFrame <= samples.size(); at += sip::kBridgeFrame) {
        double energy = 0;
        for (std::size_t i = at; i < at + sip::kBridgeFrame; ++i)
            energy += static_cast<double>(samples[i]) * samples[i];
        run = energy / sip::kBridgeFrame > 0.01 * 0.01 ? 0 : run + 1;
        longest = std::max(longest, run);
    }
    return std::chrono::milliseconds(20 * longest);
}

} // namespace

TEST_CASE("A rekeyed call goes on without a gap over 100 ms either way, takes the endpoint's packets under the "
          "previous key for a while and then no more",
          "[sip][media][rekey]")
{
    router::RouterSettings settings;
    settings.listenAddress = "127.0.0.1";
    settings.port = 0;
    router::MediaRouter router(settings);
    const router::DtlsContext context(router::DtlsCertificate::generate(), router::DtlsRole::Client);

    BridgedCall ward(router, context, "ward-3", sip::AudioCodec::Opus, 111, 600);
    BridgedCall desk(router, context, "desk-7", sip::AudioCodec::Pcmu, 0, 1000);
    const auto wardTrack = ward.negotiate({});
    const auto deskTrack = desk.negotiate({wardTrack});
    ward.negotiate({deskTrack});
    REQUIRE(test::eventually([&] { return toneShare(desk.endpoint.heard(), 600, sip::kBridgeRate) > 0.5 &&
                                          ward.endpoint.heard().size() > 48'000; }, 15s));

    // Parley's re-INVITE, answered: the endpoint takes the bridge's new key and answers with
    // a new one of its own, which the bridge takes; the endpoint's packets under its old key
    // are still in flight for 200 ms.
    const auto newBridgeKey = freshKey(router::SrtpProfile::AeadAes128Gcm);
    const auto newEndpointKey = freshKey(router::SrtpProfile::Aes128CmHmacSha1_80);
    desk.endpoint.forget();
    const auto rekeyedAt = std::chrono::steady_clock::now();
    ward.endpoint.rekey(newEndpointKey, newBridgeKey, 200ms);
    ward.bridge->rekey({newEndpointKey, std::nullopt}, {newBridgeKey, std::nullopt});
    std::this_thread::sleep_for(2s);

    const auto stats = ward.bridge->stats();
    CHECK(stats.rekeys == 1);
    CHECK(stats.previousKeyPackets >= 5); // 200 ms of 20 ms packets, under the old key
    CHECK(stats.endpointRejected == 0);
    // The bridge's packets reach the endpoint under the new key without a pause...
    const auto downGap = longestGap(ward.endpoint.arrivals(), rekeyedAt);
    CAPTURE(downGap.count(), ward.endpoint.unopened());
    CHECK(downGap <= 100ms);
    CHECK(toneShare(ward.endpoint.heard(), 1000, sip::kBridgeRate) > 0.5);
    // ...and the endpoint's voice reaches the meeting without one.
    const auto deskHeard = desk.endpoint.heard();
    CAPTURE(longestSilence(deskHeard).count());
    CHECK(longestSilence(deskHeard) <= 100ms);
    CHECK(toneShare(deskHeard, 600, sip::kBridgeRate) > 0.5);

    // Once the overlap is over, a packet under the old key is refused.
    std::this_thread::sleep_for(sip::kRekeyOverlap);
    const auto rejectedBefore = ward.bridge->stats().endpointRejected;
    ward.endpoint.sendUnderFirstKey();
    REQUIRE(test::eventually([&] { return ward.bridge->stats().endpointRejected == rejectedBefore + 1; }, 2s));
    CHECK(ward.bridge->stats().previousKeyPackets == stats.previousKeyPackets);

    // The same remote key again (an endpoint that keeps its key) keeps its context: its
    // packets open, none twice. A fresh context would take a replay of a packet sent before
    // it, which it never saw.
    ward.endpoint.remember();
    ward.bridge->rekey({newEndpointKey, std::nullopt}, {freshKey(router::SrtpProfile::AeadAes128Gcm), std::nullopt});
    std::this_thread::sleep_for(300ms);
    const auto again = ward.bridge->stats();
    CHECK(again.rekeys == 2);
    std::this_thread::sleep_for(300ms);
    CHECK(ward.bridge->stats().endpointPackets > again.endpointPackets);
    const auto beforeReplay = ward.bridge->stats();
    ward.endpoint.replay();
    REQUIRE(test::eventually([&] { return ward.bridge->stats().endpointRejected == beforeReplay.endpointRejected + 1; }, 2s));
}
