#include "webrtc_peer.h"

#include <parley/router/media_router.h>
#include <parley/router/media_tap.h>
#include <parley/router/nack_generator.h>
#include <parley/router/packet_kind.h>
#include <parley/router/rtcp_packet.h>
#include <parley/router/rtp_packet.h>
#include <parley/router/sdp.h>
#include <parley/router/srtp_session.h>
#include <parley/router/stun_message.h>
#include <parley/router/twcc_feedback.h>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <random>
#include <thread>

using namespace parley::router;
using namespace std::chrono_literals;
using parley::router::test::Bytes;
using parley::router::test::Peer;

namespace {

/// The router answers at most this many sequence numbers of one NACK (rtp_forwarder.h).
constexpr std::uint64_t RtpForwarder_kMaxNackedPerPacket = 64;

std::string testing_join(const std::vector<int>& values)
{
    std::string text;
    for (const auto value : values)
        text += (text.empty() ? "" : ", ") + std::to_string(value);
    return text;
}

RouterSettings loopback()
{
    RouterSettings settings;
    settings.listenAddress = "127.0.0.1";
    settings.port = 0;
    settings.announcedAddress = "127.0.0.1";
    settings.tcpPort = 0;
    return settings;
}

/// Alice publishes her microphone (SSRC 1111) in room 1, Bob receives it; both connected.
void publishAndSubscribe(MediaRouter& router, Peer& alice, Peer& bob)
{
    alice.applyAnswer(router.negotiate(1, "alice", alice.offer({{"0", "audio", "sendonly", 1111}}), {{"0", "audio"}}, {}).answer);
    REQUIRE(alice.connect());
    bob.applyAnswer(router.negotiate(1, "bob", bob.offer({{"0", "audio", "recvonly"}}), {}, {{"0", "alice/0"}}).answer);
    REQUIRE(bob.connect());
}

/// Alice sends audio packets from `firstSequence` on until Bob receives one (at most 10).
bool reachesBob(Peer& alice, Peer& bob, std::uint16_t firstSequence)
{
    for (std::uint16_t seq = firstSequence; seq < firstSequence + 10; ++seq) {
        alice.sendRtp(1111, 111, seq, 1);
        if (!bob.receiveRtp(300ms).empty())
            return true;
    }
    return false;
}

/// Alice publishes a microphone (SSRC 1111, mid 0) and a camera (2222, mid 1) in room 1; Bob
/// receives both with transport-wide feedback, so the router estimates his bandwidth and
/// paces his video. Both connected, Bob's socket drained.
void publishToPacedSubscriber(MediaRouter& router, Peer& alice, Peer& bob)
{
    const auto published = router.negotiate(
        1, "alice", alice.offer({{"0", "audio", "sendonly", 1111}, {"1", "video", "sendonly", 2222}}),
        {{"0", "audio"}, {"1", "video"}}, {});
    alice.applyAnswer(published.answer);
    REQUIRE(alice.connect());
    Peer::Section audio{"0", "audio", "recvonly"};
    audio.transportCc = true;
    Peer::Section video{"1", "video", "recvonly"};
    video.transportCc = true;
    bob.applyAnswer(router.negotiate(1, "bob", bob.offer({audio, video}), {}, {{"0", "alice/0"}, {"1", "alice/1"}}).answer);
    REQUIRE(bob.connect());
    bob.drain();
}

} // namespace

TEST_CASE("Router: a publisher's audio and video reach a subscriber, rewritten and re-encrypted")
{
    MediaRouter router(loopback());
    Peer alice("alice"), bob("bob");

    const auto aliceOffer = alice.offer({{"0", "audio", "sendonly", 1111}, {"1", "video", "sendonly", 2222}});
    const auto published = router.negotiate(1, "alice", aliceOffer, {{"0", "audio"}, {"1", "video"}}, {});
    REQUIRE(published.published.size() == 2);
    CHECK(published.published[0].id == "alice/0");
    CHECK(published.published[1].kind == "video");
    CHECK(published.answer.find("a=recvonly") != std::string::npos);
    alice.applyAnswer(published.answer);
    REQUIRE(alice.connect());

    const auto bobOffer = bob.offer({{"0", "audio", "recvonly"}, {"1", "video", "recvonly"}});
    const auto subscribed = router.negotiate(1, "bob", bobOffer, {}, {{"0", "alice/0"}, {"1", "alice/1"}});
    CHECK(subscribed.published.empty());
    bob.applyAnswer(subscribed.answer);
    REQUIRE(bob.connect());
    const auto audioSsrc = bob.ssrcFor("0");
    const auto videoSsrc = bob.ssrcFor("1");
    CHECK(audioSsrc != 1111);

    // A subscriber that connects asks its publisher for a keyframe.
    std::this_thread::sleep_for(100ms);
    alice.receiveRtp(300ms);
    CHECK(alice.plis >= 1);

    bool gotAudio = false, gotVideo = false;
    int audioSent = 0; // from sequence number 1 on, for the loss the router reports
    for (std::uint16_t seq = 1; seq <= 20 && !(gotAudio && gotVideo); ++seq) {
        alice.sendRtp(1111, 111, seq, 0x40);
        ++audioSent;
        alice.sendRtp(2222, 96, seq, 0x80);
        for (int i = 0; i < 2; ++i) {
            const auto packet = bob.receiveRtp(300ms);
            RtpView view;
            if (packet.empty() || !parseRtp(packet, view))
                continue;
            CHECK(view.extensionProfile == 0); // the publisher's header extension is gone
            CHECK(view.payloadLength == 50);
            if (view.ssrc == audioSsrc) {
                gotAudio = true;
                CHECK(view.payloadType == 111);
                CHECK(packet[view.payloadOffset] == 0x40);
            }
            if (view.ssrc == videoSsrc) {
                gotVideo = true;
                CHECK(view.payloadType == 96);
                CHECK(packet[view.payloadOffset] == 0x80);
            }
        }
    }
    CHECK(gotAudio);
    CHECK(gotVideo);
    CHECK(router.stats().packetsForwarded >= 2);

    // The publisher gets receiver reports about what it sends.
    for (std::uint16_t seq = 21; seq < 40; ++seq) {
        alice.sendRtp(1111, 111, seq, 0x40);
        ++audioSent;
        alice.receiveRtp(80ms);
    }
    CHECK(alice.receiverReports >= 1);

    // A publisher's sender report reaches the subscriber as its own: the SSRC it knows the
    // copy by, the publisher's NTP/RTP pairing, the count of what it was sent.
    bob.drain();
    bob.senderReports.clear();
    std::vector<std::uint8_t> report(28);
    const std::uint64_t ntp = (3900000000ull << 32) | 0x80000000u;
    report.resize(writeRtcpSenderReport(report, {1111, ntp, 123456, 99, 9999}));
    alice.sendRtcp(report);
    for (int i = 0; i < 10 && bob.senderReports.empty(); ++i)
        bob.receiveRtp(100ms);
    REQUIRE(bob.senderReports.size() == 1);
    CHECK(bob.senderReports[0].ssrc == audioSsrc);
    CHECK(bob.senderReports[0].ntp == ntp);
    CHECK(bob.senderReports[0].rtpTimestamp == 123456);
    CHECK(bob.senderReports[0].packetCount >= 1);
    CHECK(bob.senderReports[0].packetCount <= static_cast<std::uint32_t>(audioSent));
    CHECK(bob.senderReports[0].octetCount == bob.senderReports[0].packetCount * 50);

    // Lost packets are in them: one in five of these never reaches the router.
    alice.reportBlocks.clear();
    for (std::uint16_t seq = 40; seq < 90; ++seq) {
        if (seq % 5 != 0) {
            alice.sendRtp(1111, 111, seq, 0x40);
            ++audioSent;
        }
        alice.receiveRtp(20ms);
    }
    for (int i = 0; i < 30; ++i)
        alice.receiveRtp(50ms);
    const auto lossReport = std::find_if(alice.reportBlocks.rbegin(), alice.reportBlocks.rend(),
                                         [](const ReportBlock& block) { return block.ssrc == 1111; });
    REQUIRE(lossReport != alice.reportBlocks.rend());
    CHECK(lossReport->highestSequence == 89);
    CHECK(lossReport->cumulativeLost == static_cast<std::uint32_t>(89 - audioSent)); // 1..89 expected
    CHECK(std::any_of(alice.reportBlocks.begin(), alice.reportBlocks.end(),
                      [](const ReportBlock& block) { return block.ssrc == 1111 && block.fractionLost > 0; }));

    // A subscriber's NACK is answered by the router from what it keeps: the same packet
    // again, and the publisher is not asked.
    // Two packets lost on the way to Bob (his end reads them without decrypting them, so his
    // SRTP has not seen them; a copy it had seen would be refused as a replay).
    bob.drain();
    alice.nacks = 0;
    alice.sendRtp(1111, 111, 90, 0x40);
    alice.sendRtp(1111, 111, 91, 0x40);
    bob.discard(300ms);
    const auto nack = [&](std::uint16_t pid, std::uint16_t blp) {
        std::vector<std::uint8_t> packet{0x81, 205, 0, 3, 0x0b, 0x0b, 0x0b, 0x0b, 0, 0, 0, 0,
                                         static_cast<std::uint8_t>(pid >> 8), static_cast<std::uint8_t>(pid),
                                         static_cast<std::uint8_t>(blp >> 8), static_cast<std::uint8_t>(blp)};
        writeRtcp32(packet, 8, audioSsrc);
        bob.sendRtcp(packet);
    };
    nack(90, 0x0001); // 90 and 91
    std::vector<std::uint16_t> resent;
    for (int i = 0; i < 4; ++i) {
        const auto packet = bob.receiveRtp(200ms);
        RtpView view;
        if (!packet.empty() && parseRtp(packet, view) && view.ssrc == audioSsrc) {
            resent.push_back(view.sequence);
            CHECK(packet[view.payloadOffset] == 0x40);
        }
    }
    std::sort(resent.begin(), resent.end());
    INFO("retransmitted " << router.stats().retransmitted << ", missed " << router.stats().nackMisses << ", refused "
                          << router.stats().retransmitsRefused);
    CHECK(resent == std::vector<std::uint16_t>{90, 91});
    alice.receiveRtp(200ms);
    CHECK(alice.nacks == 0);
    CHECK(router.stats().retransmitted >= 2);
    // A storm of NACKs for packets the router has: 250 NACKs of 4 packets each, faster than
    // the budget (250 per 250 ms) refills, so at most two budgets' worth are resent.
    for (std::uint16_t seq = 92; seq <= 95; ++seq)
        alice.sendRtp(1111, 111, seq, 0x40);
    bob.discard(200ms);
    const auto beforeStorm = router.stats();
    for (int i = 0; i < 250; ++i)
        nack(92, 0x0007);
    bob.discard(400ms);
    const auto afterStorm = router.stats();
    const auto stormResent = afterStorm.retransmitted - beforeStorm.retransmitted;
    const auto refused = afterStorm.retransmitsRefused - beforeStorm.retransmitsRefused;
    INFO("resent " << stormResent << ", refused " << refused);
    CHECK(stormResent + refused + (afterStorm.nackMisses - beforeStorm.nackMisses) == 1000);
    CHECK(stormResent >= 1);
    CHECK(stormResent <= 2 * 250);
    CHECK(refused >= 500);
    // One NACK naming 20 x 17 = 340 sequence numbers is read only up to 64 of them.
    std::vector<std::uint8_t> wide{0x81, 205, 0, 22, 0x0b, 0x0b, 0x0b, 0x0b, 0, 0, 0, 0};
    writeRtcp32(wide, 8, audioSsrc);
    for (int entry = 0; entry < 20; ++entry)
        for (const std::uint8_t byte : {std::uint8_t(0), std::uint8_t(entry * 17), std::uint8_t(0xff), std::uint8_t(0xff)})
            wide.push_back(byte);
    std::this_thread::sleep_for(300ms); // a fresh budget
    const auto beforeWide = router.stats();
    bob.sendRtcp(wide);
    bob.discard(300ms);
    const auto afterWide = router.stats();
    CHECK(afterWide.retransmitted + afterWide.retransmitsRefused + afterWide.nackMisses -
              (beforeWide.retransmitted + beforeWide.retransmitsRefused + beforeWide.nackMisses) ==
          RtpForwarder_kMaxNackedPerPacket);

    // A moderator's mute drops Alice's audio in the router, whatever she sends; video goes on.
    bob.drain();
    router.setMuted("alice", "audio", true);
    int audioAfterMute = 0, videoAfterMute = 0;
    for (std::uint16_t seq = 100; seq < 110; ++seq) {
        alice.sendRtp(1111, 111, seq, 0x40);
        alice.sendRtp(2222, 96, seq, 0x80);
    }
    for (int i = 0; i < 20; ++i) {
        const auto packet = bob.receiveRtp(200ms);
        RtpView view;
        if (packet.empty() || !parseRtp(packet, view))
            continue;
        audioAfterMute += view.ssrc == audioSsrc;
        videoAfterMute += view.ssrc == videoSsrc;
    }
    CHECK(audioAfterMute == 0);
    CHECK(videoAfterMute >= 5);
    CHECK(router.stats().droppedMuted >= 10);
    router.setMuted("alice", "audio", false);
    alice.sendRtp(1111, 111, 111, 0x40);
    CHECK_FALSE(bob.receiveRtp(500ms).empty()); // lifted

    // When Alice leaves (or is kicked), nothing of hers reaches Bob any more.
    bob.drain();
    router.removeParticipant("alice");
    alice.sendRtp(1111, 111, 200, 0x40);
    CHECK(bob.receiveRtp(500ms).empty());
}

namespace {

/// In room 7, Alice publishes one audio stream (SSRC 1111) and Bob receives it; both connected.
void aliceSendsAudioToBob(MediaRouter& router, Peer& alice, Peer& bob)
{
    alice.applyAnswer(router.negotiate(7, "alice", alice.offer({{"0", "audio", "sendonly", 1111}}), {{"0", "audio"}}, {}).answer);
    REQUIRE(alice.connect());
    bob.applyAnswer(router.negotiate(7, "bob", bob.offer({{"0", "audio", "recvonly"}}), {}, {{"0", "alice/0"}}).answer);
    REQUIRE(bob.connect());
}

} // namespace

TEST_CASE("Router: a video reaches a subscriber in the codec it is published in, or not at all, and each published "
          "track says its codec")
{
    MediaRouter router(loopback());
    Peer phone("phone"), browser("browser"), oldBrowser("old");
    // A SIP room system's bridge publishes H.264.
    Peer::Section camera{"1", "video", "sendonly", 2222};
    camera.h264 = Peer::Section::H264::Only;
    const auto published = router.negotiate(1, "phone", phone.offer({{"0", "audio", "sendonly", 1111}, camera}),
                                            {{"0", "audio"}, {"1", "video"}}, {});
    REQUIRE(published.published.size() == 2);
    CHECK(published.published[0].codec == "opus");
    CHECK(published.published[1].codec == "H264");
    phone.applyAnswer(published.answer);
    REQUIRE(phone.connect());

    // A browser offering VP8 first and H.264 gets the video as H.264, under its PT for it.
    Peer::Section both{"1", "video", "recvonly"};
    both.h264 = Peer::Section::H264::AfterVp8;
    const auto subscribed = router.negotiate(1, "browser", browser.offer({both}), {}, {{"1", "phone/1"}});
    CHECK(subscribed.answer.find("a=rtpmap:102 H264/90000") != std::string::npos);
    CHECK(subscribed.answer.find("VP8") == std::string::npos);
    CHECK(subscribed.answer.find("a=sendonly") != std::string::npos);
    browser.applyAnswer(subscribed.answer);
    REQUIRE(browser.connect());
    const auto ssrc = browser.ssrcFor("1");
    bool got = false;
    for (std::uint16_t seq = 1; seq <= 20 && !got; ++seq) {
        phone.sendRtp(2222, 102, seq, 0x65); // an IDR slice's NAL header
        const auto packet = browser.receiveRtp(300ms);
        RtpView view;
        if (!packet.empty() && parseRtp(packet, view) && view.ssrc == ssrc) {
            got = true;
            CHECK(view.payloadType == 102);
        }
    }
    CHECK(got);

    // One that cannot take H.264 is not sent it: the section is inactive.
    const auto refused = router.negotiate(1, "old", oldBrowser.offer({{"1", "video", "recvonly"}}), {}, {{"1", "phone/1"}});
    CHECK(refused.answer.find("a=inactive") != std::string::npos);
    CHECK(refused.answer.find("m=video 0 ") == std::string::npos); // inactive, not refused: it may take another track
    CHECK(refused.answer.find("H264") == std::string::npos);
}

TEST_CASE("Router: video lost on the way in is asked of the publisher again and reaches subscribers")
{
    MediaRouter router(loopback());
    Peer alice("alice"), bob("bob");
    Peer::Section video{"0", "video", "sendonly", 2222};
    video.nack = true;
    alice.applyAnswer(router.negotiate(1, "alice", alice.offer({video}), {{"0", "video"}}, {}).answer);
    REQUIRE(alice.connect());
    bob.applyAnswer(router.negotiate(1, "bob", bob.offer({{"0", "video", "recvonly"}}), {}, {{"0", "alice/0"}}).answer);
    REQUIRE(bob.connect());
    const auto bobSsrc = bob.ssrcFor("0");

    // 3 and 4 never reach the router: it asks Alice for them as soon as 5 shows the gap.
    for (std::uint16_t seq : {1, 2, 5})
        alice.sendRtp(2222, 96, seq, 0);
    for (int i = 0; i < 10 && alice.nackedSequences.empty(); ++i)
        alice.receiveRtp(50ms);
    REQUIRE(alice.nackedSequences.size() >= 2);
    CHECK(alice.nackedSequences[0] == 3);
    CHECK(alice.nackedSequences[1] == 4);
    // Her resends go on to Bob, who then has every packet.
    alice.sendRtp(2222, 96, 3, 0);
    alice.sendRtp(2222, 96, 4, 0);
    std::vector<std::uint16_t> atBob;
    for (int i = 0; i < 10; ++i) {
        const auto packet = bob.receiveRtp(100ms);
        RtpView view;
        if (!packet.empty() && parseRtp(packet, view) && view.ssrc == bobSsrc)
            atBob.push_back(view.sequence);
    }
    std::sort(atBob.begin(), atBob.end());
    CHECK(atBob == std::vector<std::uint16_t>{1, 2, 3, 4, 5});
    CHECK(router.stats().packetsRecovered == 2);
    // Recovered packets are not asked for again.
    alice.nackedSequences.clear();
    for (int i = 0; i < 6; ++i)
        alice.receiveRtp(50ms);
    CHECK(std::count(alice.nackedSequences.begin(), alice.nackedSequences.end(), 3) == 0);

    // A packet that never comes is asked for once per round trip, then given up.
    alice.sendRtp(2222, 96, 7, 0);
    for (int i = 0; i < 40 && router.stats().repairsGivenUp == 0; ++i)
        alice.receiveRtp(100ms);
    CHECK(router.stats().repairsGivenUp == 1);
    CHECK(std::count(alice.nackedSequences.begin(), alice.nackedSequences.end(), 6) == NackGenerator::kMaxRetries);

    // Audio without NACK in its offer, as browsers send Opus, is never asked for.
    Peer carol("carol");
    carol.applyAnswer(
        router.negotiate(1, "carol", carol.offer({{"0", "audio", "sendonly", 3333}}), {{"0", "audio"}}, {}).answer);
    REQUIRE(carol.connect());
    for (std::uint16_t seq : {1, 2, 9})
        carol.sendRtp(3333, 111, seq, 0);
    for (int i = 0; i < 5; ++i)
        carol.receiveRtp(50ms);
    CHECK(carol.nacks == 0);
}

TEST_CASE("Router: a publisher that negotiated transport-cc is told when each of its packets arrived, and which did not")
{
    MediaRouter router(loopback());
    Peer alice("alice");
    Peer::Section audio{"0", "audio", "sendonly", 1111};
    audio.transportCc = true;
    const auto answer = router.negotiate(1, "alice", alice.offer({audio}), {{"0", "audio"}}, {}).answer;
    CHECK(answer.find("a=rtcp-fb:111 transport-cc\r\n") != std::string::npos);
    alice.applyAnswer(answer);
    REQUIRE(alice.connect());

    // Twenty packets 10 ms apart, transport-wide numbers 100..119; 105 never reaches the router.
    alice.nextTransportSequence = 100;
    for (std::uint16_t seq = 1; seq <= 20; ++seq) {
        if (seq == 6)
            alice.protectedRtp(1111, 111, seq, 0); // numbered, never sent
        else
            alice.sendRtp(1111, 111, seq, 0);
        std::this_thread::sleep_for(10ms);
    }
    for (int i = 0; i < 5; ++i)
        alice.receiveRtp(50ms);
    std::map<std::uint16_t, TwccPacketStatus> reported;
    for (const auto& feedback : alice.transportFeedback)
        REQUIRE(forEachTwccStatus(feedback, 1000, [&](const TwccPacketStatus& s) { reported[s.sequence] = s; }));
    REQUIRE(reported.size() == 20);
    CHECK(reported.begin()->first == 100);
    CHECK_FALSE(reported[105].received);
    for (std::uint16_t seq = 101; seq < 120; ++seq) {
        if (seq == 105 || seq == 106)
            continue;
        INFO("transport-wide sequence " << seq);
        REQUIRE(reported[seq].received);
        // Kernel arrival times: about the 10 ms (and more) the packets were sent apart.
        const auto gap = reported[seq].arrivalMicros - reported[seq - 1].arrivalMicros;
        CHECK(gap >= 9'000);
        CHECK(gap < 100'000);
    }
    CHECK(router.stats().transportFeedbackSent >= 1);
}

TEST_CASE("Router: a keyframe from the publisher answers the keyframe requests before it")
{
    MediaRouter router(loopback());
    Peer alice("alice"), bob("bob");
    alice.applyAnswer(router.negotiate(1, "alice", alice.offer({{"0", "video", "sendonly", 2222}}), {{"0", "video"}}, {}).answer);
    REQUIRE(alice.connect());
    bob.applyAnswer(router.negotiate(1, "bob", bob.offer({{"0", "video", "recvonly"}}), {}, {{"0", "alice/0"}}).answer);
    REQUIRE(bob.connect());
    const auto pli = [&] {
        Bytes packet(12);
        writeRtcpPli(packet, 0x0b0b0b0b, bob.ssrcFor("0"));
        bob.sendRtcp(packet);
    };
    // Bob's connection asked Alice for a keyframe; his own request within the second is folded.
    for (int i = 0; i < 3 && alice.plis == 0; ++i)
        alice.receiveRtp(100ms);
    REQUIRE(alice.plis == 1);
    pli();
    alice.receiveRtp(200ms);
    CHECK(alice.plis == 1);
    CHECK(router.stats().keyframeRequestsFolded == 1);
    // Her keyframe (VP8: start of partition 0, key-frame bit clear) answers both, so no
    // request goes to her at the end of that second.
    alice.send(alice.protectedPacket(2222, 96, 1, {0x10, 0x90, 0x01, 0x9d}, 0));
    for (int i = 0; i < 12; ++i)
        alice.receiveRtp(100ms);
    CHECK(alice.plis == 1);
    // A later loss asks at once.
    pli();
    for (int i = 0; i < 3 && alice.plis == 1; ++i)
        alice.receiveRtp(100ms);
    CHECK(alice.plis == 2);
}

TEST_CASE("Router: resends go both ways in RTX format where it was negotiated")
{
    MediaRouter router(loopback());
    Peer alice("alice"), bob("bob");
    Peer::Section video{"0", "video", "sendonly", 2222, true, true};
    const auto published = router.negotiate(1, "alice", alice.offer({video}), {{"0", "video"}}, {}).answer;
    CHECK(published.find("a=rtpmap:97 rtx/90000\r\n") != std::string::npos);
    alice.applyAnswer(published);
    REQUIRE(alice.connect());
    Peer::Section receive{"0", "video", "recvonly", 0, true, true, true};
    bob.applyAnswer(router.negotiate(1, "bob", bob.offer({receive}), {}, {{"0", "alice/0"}}).answer);
    REQUIRE(bob.connect());
    const auto bobSsrc = bob.ssrcFor("0");
    const auto bobRtxSsrc = bob.rtxSsrcFor("0");
    REQUIRE(bobRtxSsrc != 0);
    CHECK(bobRtxSsrc != bobSsrc);

    // Alice's resend of 3 comes as RTX (her SSRC 2223, PT 97, its own sequence number); Bob
    // gets packet 3 itself.
    for (std::uint16_t seq : {1, 2, 4})
        alice.sendRtp(2222, 96, seq, static_cast<std::uint8_t>(seq));
    for (int i = 0; i < 10 && alice.nackedSequences.empty(); ++i)
        alice.receiveRtp(50ms);
    REQUIRE_FALSE(alice.nackedSequences.empty());
    CHECK(std::all_of(alice.nackedSequences.begin(), alice.nackedSequences.end(), [](auto s) { return s == 3; }));
    bob.drain();
    alice.sendRtx(2223, 97, 700, 3, 3);
    Bytes repaired;
    RtpView view;
    for (int i = 0; i < 5 && repaired.empty(); ++i) {
        auto packet = bob.receiveRtp(200ms);
        if (!packet.empty() && parseRtp(packet, view) && view.sequence == 3)
            repaired = packet;
    }
    REQUIRE_FALSE(repaired.empty());
    CHECK(view.ssrc == bobSsrc);
    CHECK(view.payloadType == 96);
    CHECK(view.payloadLength == 50);
    CHECK(repaired[view.payloadOffset] == 3);
    CHECK(router.stats().packetsRecovered == 1);
    // RTX with a payload type that is not Alice's RTX is not taken for a resend (of a
    // packet Bob never had, so only the router can keep it from him).
    const auto recoveredBefore = router.stats().packetsRecovered;
    alice.sendRtx(2223, 98, 701, 30, 30);
    CHECK(bob.receiveRtp(300ms).empty());
    CHECK(router.stats().packetsRecovered == recoveredBefore);

    // Bob's copies say how much he should buffer (playout-delay, which his section
    // negotiated): nothing beyond his browser's own choice while the links are clean.
    {
        alice.sendRtp(2222, 96, 40, 40);
        const auto packet = bob.receiveRtp(300ms);
        REQUIRE(parseRtp(packet, view));
        const auto delay = view.extensionValue(5);
        REQUIRE(delay.size() == 3);
        CHECK((delay[0] << 4 | delay[1] >> 4) == 1);                  // minimum, 10 ms units
        CHECK(((delay[1] & 0x0f) << 8 | delay[2]) == 1000);           // maximum: 10 s
    }

    // Bob loses 5 and 6 and asks: they come back on his RTX stream, original number first.
    alice.sendRtp(2222, 96, 5, 5);
    alice.sendRtp(2222, 96, 6, 6);
    bob.discard(300ms);
    std::vector<std::uint8_t> nack{0x81, 205, 0, 3, 0x0b, 0x0b, 0x0b, 0x0b, 0, 0, 0, 0, 0, 5, 0, 1};
    writeRtcp32(nack, 8, bobSsrc);
    bob.sendRtcp(nack);
    std::vector<std::pair<std::uint16_t, std::uint16_t>> resends; // (RTX sequence, original)
    for (int i = 0; i < 4; ++i) {
        const auto packet = bob.receiveRtp(200ms);
        if (packet.empty() || !parseRtp(packet, view))
            continue;
        CHECK(view.ssrc == bobRtxSsrc);
        CHECK(view.payloadType == 97);
        REQUIRE(view.payloadLength == 52);
        const auto original = static_cast<std::uint16_t>(packet[view.payloadOffset] << 8 | packet[view.payloadOffset + 1]);
        CHECK(packet[view.payloadOffset + 2] == original); // the original payload follows
        resends.emplace_back(view.sequence, original);
    }
    REQUIRE(resends.size() == 2);
    CHECK(resends[0].second == 5);
    CHECK(resends[1].second == 6);
    CHECK(resends[1].first == static_cast<std::uint16_t>(resends[0].first + 1));
}

TEST_CASE("Router: while a publisher's link loses packets, its subscribers are asked to buffer for the repairs, step by step, audio as long as video")
{
    MediaRouter router(loopback());
    Peer alice("alice"), bob("bob");
    Peer::Section video{"0", "video", "sendonly", 2222, true};
    alice.applyAnswer(router.negotiate(1, "alice", alice.offer({video}), {{"0", "video"}}, {}).answer);
    REQUIRE(alice.connect());
    Peer::Section receive{"0", "video", "recvonly", 0, true, false, true};
    bob.applyAnswer(router.negotiate(1, "bob", bob.offer({receive}), {}, {{"0", "alice/0"}}).answer);
    REQUIRE(bob.connect());

    // Clean so far: nothing extra to buffer.
    CHECK(router.bufferTargets("bob").empty());
    // One packet in ten lost on the way in; Alice resends what she is asked for at once.
    std::vector<int> floors; // the minimum Bob's copies ask for, in 10 ms, as it changes
    std::uint16_t seq = 0;
    const auto until = std::chrono::steady_clock::now() + 5500ms;
    while (std::chrono::steady_clock::now() < until) {
        for (int i = 0; i < 5; ++i, ++seq)
            if (seq % 10 != 5)
                alice.sendRtp(2222, 96, seq, 0);
        alice.nackedSequences.clear();
        alice.receiveRtp(20ms);
        for (const auto nacked : alice.nackedSequences)
            alice.sendRtp(2222, 96, nacked, 0);
        for (auto packet = bob.receiveRtp(20ms); !packet.empty(); packet = bob.receiveRtp(5ms)) {
            RtpView view;
            REQUIRE(parseRtp(packet, view));
            const auto delay = view.extensionValue(5);
            REQUIRE(delay.size() == 3);
            const int minimum = delay[0] << 4 | delay[1] >> 4;
            if (floors.empty() || floors.back() != minimum)
                floors.push_back(minimum);
        }
    }
    INFO("floors " << testing_join(floors));
    REQUIRE(floors.size() >= 3);
    CHECK(floors.front() == 1);
    // Up a step (50 ms) a second at most, so his browser never stops the picture to fill its
    // buffer; towards a round trip (100 ms before one is measured) and a frame: 140 ms.
    for (std::size_t i = 1; i < floors.size(); ++i)
        CHECK(floors[i] - floors[i - 1] <= 5);
    CHECK(floors.back() == 14);
    // The same figure for his page, by publisher, to buffer her audio alike (media.buffer);
    // Alice receives nothing and is asked nothing.
    const auto targets = router.bufferTargets("bob");
    CHECK(targets == std::map<std::string, int>{{"alice", 140}});
    CHECK(router.bufferTargets("alice").empty());
    CHECK(router.bufferTargets("nobody").empty());
}

TEST_CASE("Router: a participant whose UDP is blocked meets over ICE-TCP, with the same checks, DTLS and SRTP")
{
    MediaRouter router(loopback());
    REQUIRE(router.tcpPort());
    Peer alice("alice"), bob("bob");
    alice.applyAnswer(router.negotiate(1, "alice", alice.offer({{"0", "audio", "sendonly", 1111}}), {{"0", "audio"}}, {}).answer);
    REQUIRE(alice.connect());
    // Bob only has TCP: the passive candidate is in his answer, below the UDP one.
    const auto answer =
        router.negotiate(1, "bob", bob.offer({{"0", "audio", "recvonly"}, {"1", "video", "sendonly", 2222}}),
                         {{"1", "video"}}, {{"0", "alice/0"}})
            .answer;
    CHECK(answer.find("a=candidate:2 1 tcp 1518280447 127.0.0.1 " + std::to_string(*router.tcpPort()) +
                      " typ host tcptype passive\r\n") != std::string::npos);
    bob.applyAnswer(answer);
    bob.useTcp();
    REQUIRE(bob.connect());
    CHECK(reachesBob(alice, bob, 1));
    // And back: Bob's video reaches Alice over UDP.
    alice.applyAnswer(router.negotiate(1, "alice",
                                       alice.offer({{"0", "audio", "sendonly", 1111}, {"1", "video", "recvonly"}}),
                                       {{"0", "audio"}}, {{"1", "bob/1"}})
                          .answer);
    bool reachedAlice = false;
    for (std::uint16_t seq = 1; seq < 10 && !reachedAlice; ++seq) {
        bob.sendRtp(2222, 96, seq, 0x33);
        const auto packet = alice.receiveRtp(300ms);
        RtpView view;
        reachedAlice = !packet.empty() && parseRtp(packet, view) && view.ssrc == alice.ssrcFor("1");
    }
    CHECK(reachedAlice);
}

TEST_CASE("Router: TCP connections that break the framing or never check are closed, and the router keeps working")
{
    MediaRouter router(loopback());
    const auto connectTcp = [&] {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(*router.tcpPort());
        inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
        REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
        timeval timeout{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        return fd;
    };
    const auto closedByRouter = [](int fd) {
        char byte = 0;
        return ::recv(fd, &byte, 1, 0) == 0;
    };
    // A frame longer than any packet: the connection is closed.
    const int oversize = connectTcp();
    const std::uint8_t huge[] = {0xff, 0xff, 1, 2, 3};
    ::send(oversize, huge, sizeof huge, MSG_NOSIGNAL);
    CHECK(closedByRouter(oversize));
    ::close(oversize);
    // An empty frame: closed too.
    const int empty = connectTcp();
    const std::uint8_t zero[] = {0, 0};
    ::send(empty, zero, sizeof zero, MSG_NOSIGNAL);
    CHECK(closedByRouter(empty));
    ::close(empty);
    // Well-framed packets from a connection that passed no ICE check are dropped and counted.
    const int unchecked = connectTcp();
    const auto before = router.stats().droppedUnknownAddress;
    const std::uint8_t rtp[] = {0, 12, 0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
    for (int i = 0; i < 5; ++i)
        ::send(unchecked, rtp, sizeof rtp, MSG_NOSIGNAL);
    for (int i = 0; i < 20 && router.stats().droppedUnknownAddress < before + 5; ++i)
        std::this_thread::sleep_for(20ms);
    CHECK(router.stats().droppedUnknownAddress == before + 5);
    ::close(unchecked);
    // Meanwhile the router still meets people over UDP.
    Peer alice("alice"), bob("bob");
    publishAndSubscribe(router, alice, bob);
    CHECK(reachesBob(alice, bob, 1));
}

TEST_CASE("Router: each participant's rates and loss both ways are measured for the admin")
{
    MediaRouter router(loopback());
    Peer alice("alice"), bob("bob");
    aliceSendsAudioToBob(router, alice, bob);
    const auto received = bob.ssrcFor("0");

    // Every fourth packet never leaves Alice: a quarter lost on the way in. Bob reports that
    // he lost 64/256 of what we send him.
    const std::vector<ReportBlock> blocks{ReportBlock{received, 64, 10, 100, 0, 0, 0}};
    const auto start = std::chrono::steady_clock::now();
    std::uint16_t seq = 1;
    while (std::chrono::steady_clock::now() - start < 2500ms) {
        for (int i = 0; i < 5; ++i, ++seq)
            if (seq % 4 != 0)
                alice.sendRtp(1111, 111, seq, 0x40);
        Bytes report(8 + 24);
        report.resize(writeRtcpReceiverReport(report, 0x0b0b0b0b, blocks));
        bob.sendRtcp(report);
        bob.receiveRtp(20ms);
    }
    const auto media = router.participantMedia(7);
    REQUIRE(media.size() == 2);
    const auto& a = media[0].participantId == "alice" ? media[0] : media[1];
    const auto& b = media[0].participantId == "alice" ? media[1] : media[0];
    CHECK(b.participantId == "bob");
    // 50 packets of about 90 bytes a second arrive from Alice and go to Bob.
    CHECK(a.bitsPerSecondIn > 10000);
    CHECK(b.bitsPerSecondOut > 10000);
    CHECK(a.lossPercentIn == Approx(25).margin(5));
    CHECK(b.lossPercentIn == 0);
    CHECK(b.lossPercentOut == Approx(25));
    CHECK(a.lossPercentOut == 0);
    const auto load = router.load();
    CHECK(load.bitsPerSecondIn >= a.bitsPerSecondIn);
    CHECK(load.bitsPerSecondOut >= b.bitsPerSecondOut);
    CHECK(load.lossPercent == Approx(25).margin(5));
    CHECK(load.cpuPercent >= 0);
    CHECK(load.cpuPercent < 100);
    CHECK(router.participantMedia(8).empty());
}

TEST_CASE("Router: bytes and packets both ways are totalled for /metrics, and kept after a participant goes")
{
    MediaRouter router(loopback());
    Peer alice("alice"), bob("bob");
    aliceSendsAudioToBob(router, alice, bob);
    const auto before = router.stats();
    for (std::uint16_t seq = 1; seq <= 100; ++seq) {
        alice.sendRtp(1111, 111, seq, 0x40);
        bob.receiveRtp(5ms);
    }
    // The totals are folded in once a second.
    std::this_thread::sleep_for(1300ms);
    const auto during = router.stats();
    // 100 SRTP packets of about 90 bytes came in and went out again to Bob.
    CHECK(during.bytesReceived >= before.bytesReceived + 100 * 60);
    CHECK(during.bytesSent >= before.bytesSent + 100 * 60);
    CHECK(during.packetsSent >= before.packetsSent + 100);
    CHECK(during.packetsForwarded >= before.packetsForwarded + 100);
    CHECK(during.packetsReceived >= before.packetsReceived + 100);

    // What a participant sent right before leaving still counts; totals never go down.
    for (std::uint16_t seq = 101; seq <= 120; ++seq)
        alice.sendRtp(1111, 111, seq, 0x40);
    std::this_thread::sleep_for(100ms);
    router.removeParticipant("alice");
    const auto after = router.stats();
    CHECK(after.bytesReceived >= during.bytesReceived + 20 * 60);
    router.removeParticipant("bob");
    CHECK(router.stats().bytesSent >= after.bytesSent);
}

TEST_CASE("Router: a participant whose address changes keeps its session after a valid check")
{
    MediaRouter router(loopback());
    Peer alice("alice"), bob("bob");
    publishAndSubscribe(router, alice, bob);
    alice.sendRtp(1111, 111, 1, 1);
    REQUIRE_FALSE(bob.receiveRtp(500ms).empty());

    // Both move to new ports; after one valid check each, media flows again without a new
    // DTLS handshake (the same SRTP sessions keep working).
    REQUIRE(alice.moveAndCheck());
    REQUIRE(bob.moveAndCheck());
    CHECK(reachesBob(alice, bob, 2));
}

TEST_CASE("Router: a mute given before the participant's first offer holds")
{
    MediaRouter router(loopback());
    Peer alice("alice"), bob("bob");
    router.setMuted("alice", "audio", true); // the moderator was quicker than Alice's offer
    publishAndSubscribe(router, alice, bob);
    for (std::uint16_t seq = 1; seq < 10; ++seq)
        alice.sendRtp(1111, 111, seq, 1);
    CHECK(bob.receiveRtp(500ms).empty());
    CHECK(router.stats().droppedMuted >= 5);
    router.setMuted("alice", "audio", false);
    CHECK(reachesBob(alice, bob, 10));
}

TEST_CASE("Router: packets never cross rooms, and unknown senders are dropped and counted")
{
    MediaRouter router(loopback());
    Peer alice("alice"), eve("eve");
    const auto published = router.negotiate(1, "alice", alice.offer({{"0", "audio", "sendonly", 1111}}), {{"0", "audio"}}, {});
    alice.applyAnswer(published.answer);
    REQUIRE(alice.connect());

    // Eve is in room 2 and asks for Alice's track by its id: the section stays inactive.
    const auto answer = router.negotiate(2, "eve", eve.offer({{"0", "audio", "recvonly"}}), {}, {{"0", "alice/0"}});
    CHECK(answer.answer.find("a=inactive") != std::string::npos);
    eve.applyAnswer(answer.answer);
    REQUIRE(eve.connect());
    for (std::uint16_t seq = 1; seq < 10; ++seq)
        alice.sendRtp(1111, 111, seq, 1);
    CHECK(eve.receiveRtp(500ms).empty());

    // Someone who never passed an ICE check: media and DTLS are dropped.
    Peer stranger("stranger");
    stranger.applyAnswer(published.answer);
    const auto before = router.stats().droppedUnknownAddress;
    const Bytes fakeRtp{0x80, 111, 0, 1, 0, 0, 0, 1, 0, 0, 0x04, 0x57, 1, 2, 3};
    stranger.send(fakeRtp);
    const Bytes fakeDtls{22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    stranger.send(fakeDtls);
    std::this_thread::sleep_for(200ms);
    CHECK(router.stats().droppedUnknownAddress >= before + 2);
    // A STUN check with the wrong password is not answered.
    std::array<std::uint8_t, 12> id{};
    std::uint8_t request[256];
    const auto stats = router.stats();
    const auto length = writeStunBindingRequest(request, id, "nobody:stranger", "wrong", true);
    stranger.send({request, length});
    std::this_thread::sleep_for(100ms);
    CHECK(router.stats().stunAnswered == stats.stunAnswered);
}

TEST_CASE("Router: a tampered or forged SRTP packet from a participant's own address is dropped and counted")
{
    const auto profiles = GENERATE(as<std::string>{}, "SRTP_AEAD_AES_128_GCM", "SRTP_AES128_CM_SHA1_80");
    INFO(profiles);
    MediaRouter router(loopback());
    Peer alice("alice", profiles), bob("bob");
    publishAndSubscribe(router, alice, bob);
    REQUIRE(reachesBob(alice, bob, 1));
    bob.drain();

    // Each alteration comes from Alice's own address, which passed ICE and holds her DTLS
    // session: only SRTP authentication can tell these packets from hers.
    const std::vector<std::pair<std::string, std::function<void(Bytes&)>>> alterations{
        {"a payload bit flipped", [](Bytes& p) { p[25] ^= 0x01; }},
        {"a header bit flipped (timestamp)", [](Bytes& p) { p[7] ^= 0x80; }},
        {"an authentication tag bit flipped", [](Bytes& p) { p.back() ^= 0x01; }},
        {"a forgery: her header, a made-up payload and tag",
         [](Bytes& p) {
             for (std::size_t i = 20; i < p.size(); ++i)
                 p[i] = static_cast<std::uint8_t>(i * 37);
         }},
    };
    std::uint16_t sequence = 100;
    for (const auto& [what, alter] : alterations) {
        INFO(what);
        const auto before = router.stats();
        auto packet = alice.protectedRtp(1111, 111, sequence++, 0x40);
        alter(packet);
        alice.send(packet);
        CHECK(bob.receiveRtp(400ms).empty());
        const auto after = router.stats();
        CHECK(after.droppedAuthentication == before.droppedAuthentication + 1);
        CHECK(after.packetsForwarded == before.packetsForwarded);

        // The same sender's next genuine packet still goes through: the check dropped the
        // altered one, not everything from Alice.
        alice.sendRtp(1111, 111, sequence++, 0x60);
        const auto genuine = bob.receiveRtp(1000ms);
        REQUIRE_FALSE(genuine.empty());
        RtpView view;
        REQUIRE(parseRtp(genuine, view));
        CHECK(genuine[view.payloadOffset] == 0x60);
    }
}

TEST_CASE("Router: random datagrams are dropped and counted, and the router keeps forwarding")
{
    MediaRouter router(loopback());
    Peer alice("alice"), bob("bob");
    publishAndSubscribe(router, alice, bob);

    std::mt19937 random(7983);
    for (int i = 0; i < 3000; ++i) {
        Bytes noise(random() % 300);
        for (auto& byte : noise)
            byte = static_cast<std::uint8_t>(random());
        (i % 2 ? alice : bob).send(noise); // from known addresses too: SRTP authentication drops them
    }
    std::this_thread::sleep_for(300ms);
    const auto stats = router.stats();
    CHECK(stats.droppedMalformed + stats.droppedAuthentication + stats.droppedUnknownAddress > 1000);

    CHECK(reachesBob(alice, bob, 1));

    CHECK_THROWS_AS(router.negotiate(1, "carol", "v=0\r\nm=audio 9\r\n", {}, {}), SdpError);
    CHECK_THROWS_AS(router.negotiate(1, "dave", "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n", {}, {}),
                    SdpError); // no fingerprint
}

TEST_CASE("Router: a tap on a room receives its tracks, plain RTP and their end, until stopped")
{
    MediaRouter router(loopback());
    Peer alice("alice"), bob("bob");
    publishAndSubscribe(router, alice, bob);
    auto tap = std::make_shared<MediaTap>(256);
    router.startTap(1, tap);
    const auto* added = tap->peek();
    REQUIRE(added);
    CHECK(added->kind == TapEntry::Kind::TrackAdded);
    CHECK(added->text() == "alice/0 audio opus 48000");
    const auto track = added->track;
    tap->consume();

    // Alice's packets arrive in the tap decrypted, exactly as she sent them.
    for (std::uint16_t seq = 1; seq <= 5; ++seq)
        alice.sendRtp(1111, 111, seq, 1);
    std::vector<std::uint16_t> sequences;
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (sequences.size() < 5 && std::chrono::steady_clock::now() < deadline) {
        if (const auto* entry = tap->peek()) {
            CHECK(entry->kind == TapEntry::Kind::Rtp);
            CHECK(entry->track == track);
            RtpView view;
            REQUIRE(parseRtp(entry->bytes(), view));
            CHECK(view.ssrc == 1111);
            CHECK(view.payloadLength == 50);
            CHECK(view.extensionProfile == 0xBEDE); // untouched: the recorder gets what she sent
            sequences.push_back(view.sequence);
            tap->consume();
        }
        else
            std::this_thread::sleep_for(5ms);
    }
    CHECK(sequences == std::vector<std::uint16_t>{1, 2, 3, 4, 5});

    router.removeParticipant("alice");
    const auto* removed = tap->peek();
    REQUIRE(removed);
    CHECK(removed->kind == TapEntry::Kind::TrackRemoved);
    CHECK(removed->track == track);
    tap->consume();
    router.stopTap(1);
    CHECK(!tap->peek());
    CHECK(router.stats().packetsReceived > 0);
}

TEST_CASE("Router: a keyframe's burst to a subscriber with a bandwidth estimate is paced out in order, and audio is not held back")
{
    MediaRouter router(loopback());
    Peer alice("alice"), bob("bob");
    publishToPacedSubscriber(router, alice, bob);
    const auto audioSsrc = bob.ssrcFor("0");
    const auto videoSsrc = bob.ssrcFor("1");

    // Bob sends no feedback: his estimate stays at its start, 300 kbit/s, and his video is
    // paced at 2.5 times that (94 bytes a millisecond). A keyframe of 30 packets of 1 kB
    // comes at once, then an audio packet.
    constexpr int kBurst = 30;
    alice.payloadBytes = 1000;
    for (std::uint16_t seq = 1; seq <= kBurst; ++seq)
        alice.sendRtp(2222, 96, seq, 0x80);
    alice.payloadBytes = 50;
    alice.sendRtp(1111, 111, 1, 0x40);

    using Clock = std::chrono::steady_clock;
    std::vector<std::pair<std::uint16_t, Clock::time_point>> videoArrivals;
    std::optional<std::size_t> audioAfter; // video packets received before the audio one
    const auto deadline = Clock::now() + 3s;
    while ((videoArrivals.size() < kBurst || !audioAfter) && Clock::now() < deadline) {
        const auto packet = bob.receiveRtp(100ms);
        RtpView view;
        if (packet.empty() || !parseRtp(packet, view))
            continue;
        if (view.ssrc == videoSsrc)
            videoArrivals.emplace_back(view.sequence, Clock::now());
        else if (view.ssrc == audioSsrc && !audioAfter)
            audioAfter = videoArrivals.size();
    }
    // All of it, in order.
    REQUIRE(videoArrivals.size() == kBurst);
    for (std::size_t i = 1; i < videoArrivals.size(); ++i)
        CHECK(videoArrivals[i].first == static_cast<std::uint16_t>(videoArrivals[i - 1].first + 1));
    // Spread out: 30 kB at 94 bytes/ms would take 320 ms; nothing waits more than 250 ms, so
    // the queue drains faster towards the end. Sent at once it would arrive within a few ms.
    const auto span = videoArrivals.back().second - videoArrivals.front().second;
    const auto middle = videoArrivals[kBurst / 2].second - videoArrivals.front().second;
    INFO("burst spread over " << std::chrono::duration_cast<std::chrono::milliseconds>(span).count()
                              << " ms, its middle at " << std::chrono::duration_cast<std::chrono::milliseconds>(middle).count()
                              << " ms");
    CHECK(span >= 150ms);
    CHECK(span <= 400ms);
    // Evenly: not held and then sent at once.
    CHECK(middle >= 40ms);
    CHECK(middle <= 200ms);
    // Audio does not wait behind the video.
    REQUIRE(audioAfter);
    CHECK(*audioAfter < kBurst / 2);
    const auto stats = router.stats();
    CHECK(stats.pacedPackets >= kBurst / 2);
    CHECK(stats.pacedExpired == 0);
    CHECK(stats.packetsForwarded >= kBurst + 1);
}

TEST_CASE("Router: a subscriber's full pacer sends its oldest early and loses nothing, and what waits of a publisher that leaves is dropped")
{
    MediaRouter router(loopback());
    Peer alice("alice"), bob("bob");
    publishToPacedSubscriber(router, alice, bob);
    const auto videoSsrc = bob.ssrcFor("1");

    // More packets at once than a pacer holds (256): the oldest go early, none is lost, the
    // order holds.
    constexpr int kBurst = 320;
    alice.payloadBytes = 200;
    for (std::uint16_t seq = 1; seq <= kBurst; ++seq)
        alice.sendRtp(2222, 96, seq, 0x80);
    std::vector<std::uint16_t> received;
    for (auto packet = bob.receiveRtp(500ms); !packet.empty() && received.size() < kBurst; packet = bob.receiveRtp(500ms)) {
        RtpView view;
        if (parseRtp(packet, view) && view.ssrc == videoSsrc)
            received.push_back(view.sequence);
    }
    REQUIRE(received.size() == kBurst);
    for (std::size_t i = 1; i < received.size(); ++i)
        CHECK(received[i] == static_cast<std::uint16_t>(received[i - 1] + 1));
    CHECK(router.stats().pacerOverflows > 0);

    // A keyframe's worth waits, and Alice leaves: what waits of her video goes with her (a
    // pacer holding on to it would point at a publication that no longer exists).
    alice.payloadBytes = 1000;
    const auto pacedBefore = router.stats().pacedPackets;
    for (std::uint16_t seq = kBurst + 1; seq <= kBurst + 60; ++seq)
        alice.sendRtp(2222, 96, seq, 0x80);
    std::this_thread::sleep_for(20ms);
    router.removeParticipant("alice");
    int afterwards = 0;
    for (auto packet = bob.receiveRtp(400ms); !packet.empty(); packet = bob.receiveRtp(400ms))
        ++afterwards;
    CHECK(afterwards < 60);
    const auto stats = router.stats();
    CHECK(stats.pacedPackets >= pacedBefore + 30);
    CHECK(stats.pacedExpired == 0);

    // The router goes on.
    CHECK(stats.packetsReceived >= kBurst + 60);
}

TEST_CASE("Router: with two workers, meetings are spread over them, each meeting's media stays on its worker's port, and totals add up")
{
    auto settings = loopback();
    settings.workers = 2;
    MediaRouter router(settings);
    const auto ports = router.ports();
    REQUIRE(ports.size() == 2);
    CHECK(ports[0] != ports[1]);
    CHECK(router.tcpPorts().size() == 2);

    // Room 1 goes to the first worker, room 2 to the one with nobody on it.
    Peer alice("alice"), bob("bob");
    publishAndSubscribe(router, alice, bob);
    CHECK(router.workerOf(1) == 0u);
    Peer carol("carol"), dave("dave");
    const auto carols = router.negotiate(2, "carol", carol.offer({{"0", "audio", "sendonly", 3333}}), {{"0", "audio"}}, {});
    CHECK(router.workerOf(2) == 1u);
    // Its candidates name the second worker's port, not the first's.
    CHECK(carols.answer.find(" " + std::to_string(ports[1]) + " typ host") != std::string::npos);
    CHECK(carols.answer.find(" " + std::to_string(ports[0]) + " typ host") == std::string::npos);
    carol.applyAnswer(carols.answer);
    REQUIRE(carol.connect());
    const auto daves = router.negotiate(2, "dave", dave.offer({{"0", "audio", "recvonly"}}), {}, {{"0", "carol/0"}});
    CHECK(daves.answer.find(" " + std::to_string(ports[1]) + " typ host") != std::string::npos);
    dave.applyAnswer(daves.answer);
    REQUIRE(dave.connect());

    // Media flows in both rooms at once.
    CHECK(reachesBob(alice, bob, 1));
    bool reachedDave = false;
    for (std::uint16_t seq = 1; seq < 10 && !reachedDave; ++seq) {
        carol.sendRtp(3333, 111, seq, 1);
        reachedDave = !dave.receiveRtp(300ms).empty();
    }
    CHECK(reachedDave);
    // A track of another room is not received, and a participant stays in its room.
    Peer eve("eve");
    const auto eves = router.negotiate(2, "eve", eve.offer({{"0", "audio", "recvonly"}}), {}, {{"0", "alice/0"}});
    CHECK(eves.answer.find("a=inactive") != std::string::npos);
    CHECK_THROWS_AS(router.negotiate(2, "alice", alice.offer({{"0", "audio", "sendonly", 1111}}), {{"0", "audio"}}, {}),
                    SdpError);

    // The totals are both workers'; the admin's view of a room is its worker's.
    std::this_thread::sleep_for(1200ms);
    CHECK(router.stats().stunAnswered >= 4);
    CHECK(router.stats().packetsForwarded >= 2);
    const auto roomTwo = router.participantMedia(2);
    CHECK(roomTwo.size() == 3);
    CHECK(router.participantMedia(1).size() == 2);

    // Once a room is empty it is forgotten; the next room goes where the fewest are.
    router.removeParticipant("alice");
    router.removeParticipant("bob");
    CHECK_FALSE(router.workerOf(1).has_value());
    CHECK(router.participantMedia(1).empty());
    Peer frank("frank");
    frank.applyAnswer(router.negotiate(3, "frank", frank.offer({{"0", "audio", "sendonly", 4444}}), {{"0", "audio"}}, {}).answer);
    CHECK(router.workerOf(3) == 0u);
    // A recording started before anyone joins places the room too.
    router.startTap(4, std::make_shared<MediaTap>(16));
    CHECK(router.workerOf(4).has_value());
    router.stopTap(4);
    CHECK_FALSE(router.workerOf(4).has_value());
}

TEST_CASE("Router: ports for every worker must fit below 65536")
{
    auto settings = loopback();
    settings.port = 65535;
    settings.workers = 2;
    CHECK_THROWS_WITH(MediaRouter(settings), Catch::Contains("65535") && Catch::Contains("router.workers"));
    settings.workers = 0;
    CHECK_THROWS_AS(MediaRouter(settings), std::runtime_error);
}
