// A SIP call's media bridge against Parley's real media router, in process: endpoints that
// speak SDES-SRTP over real UDP sockets on 127.0.0.1, the bridge's own ICE, DTLS and SRTP to
// the router, tones checked by frequency.
#include "bridged_call.h"

#include <catch2/catch.hpp>

using namespace parley;
using namespace parley::test;
using namespace std::chrono_literals;

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

TEST_CASE("An endpoint that does not take Parley's new key, as baresip 1.0.0 does not, is found out by its receiver "
          "reports: the call goes back to the previous key and the endpoint hears the meeting again",
          "[sip][media][rekey]")
{
    LoopbackRouter meeting;
    BridgedCall ward(meeting.router, meeting.context, "ward-3", sip::AudioCodec::Opus, 111, 600);
    BridgedCall desk(meeting.router, meeting.context, "desk-7", sip::AudioCodec::Opus, 111, 1000);
    ward.endpoint.sendReports();
    const auto wardTrack = ward.negotiate({});
    const auto deskTrack = desk.negotiate({wardTrack});
    ward.negotiate({deskTrack});
    REQUIRE(test::eventually([&] { return toneShare(ward.endpoint.heard(), 1000, sip::kBridgeRate) > 0.5; }, 15s));

    SECTION("an endpoint that took the new key keeps it")
    {
        const auto newBridgeKey = freshKey(router::SrtpProfile::AeadAes128Gcm);
        ward.endpoint.rekey(ward.endpoint.plan().remoteCrypto, newBridgeKey, 0ms);
        ward.bridge->rekey({ward.endpoint.plan().remoteCrypto, std::nullopt}, {newBridgeKey, std::nullopt}, true);
        std::this_thread::sleep_for(2s);
        CHECK(ward.bridge->stats().rekeysNotTaken == 0);
        CHECK(ward.rekeysNotTaken == 0);
        const auto unopened = ward.endpoint.unopened();
        std::this_thread::sleep_for(500ms);
        CHECK(ward.endpoint.unopened() == unopened); // it opens all it gets, under the new key
    }
    SECTION("an endpoint that kept the old key gets it again")
    {
        ward.endpoint.keepBridgeKey();
        const auto newBridgeKey = freshKey(router::SrtpProfile::AeadAes128Gcm);
        ward.endpoint.rekey(ward.endpoint.plan().remoteCrypto, newBridgeKey, 0ms);
        const auto rekeyedAt = std::chrono::steady_clock::now();
        ward.bridge->rekey({ward.endpoint.plan().remoteCrypto, std::nullopt}, {newBridgeKey, std::nullopt}, true);
        // Its first report after half a second shows nothing new reached it.
        REQUIRE(test::eventually([&] { return ward.rekeysNotTaken == 1; }, 5s));
        const auto foundAfter = std::chrono::steady_clock::now() - rekeyedAt;
        CAPTURE(std::chrono::duration_cast<std::chrono::milliseconds>(foundAfter).count());
        CHECK(foundAfter < 2s);
        CHECK(ward.bridge->stats().rekeysNotTaken == 1);
        CHECK(ward.endpoint.unopened() > 10); // what came under the new key
        ward.endpoint.forget();
        std::this_thread::sleep_for(1s);
        const auto unopened = ward.endpoint.unopened();
        CHECK(toneShare(ward.endpoint.heard(), 1000, sip::kBridgeRate) > 0.5);
        std::this_thread::sleep_for(500ms);
        CHECK(ward.endpoint.unopened() == unopened);
        CHECK(ward.rekeysNotTaken == 1); // once
    }
}
