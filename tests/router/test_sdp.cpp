#include <parley/router/sdp.h>

#include <catch2/catch.hpp>

#include <random>

using namespace parley::router;

namespace {

// Trimmed from a Chromium offer: camera and microphone published, one recvonly video
// section for a subscription, a data channel.
const std::string kChromeOffer =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1 2 3\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS stream\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Ab1c\r\n"
    "a=ice-pwd:pwdpwdpwdpwdpwdpwdpwdpwd\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendrecv\r\n"
    "a=msid:stream mic\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:63 red/48000/2\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:13 CN/8000\r\n"
    "a=rtpmap:110 telephone-event/48000\r\n"
    "a=rtpmap:126 telephone-event/8000\r\n"
    "a=ssrc:1111 cname:abc\r\n"
    "a=ssrc:1111 msid:stream mic\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:1\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendonly\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 goog-remb\r\n"
    "a=rtcp-fb:96 transport-cc\r\n"
    "a=rtcp-fb:96 ccm fir\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "a=rtpmap:102 H264/90000\r\n"
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n"
    "a=rtpmap:103 rtx/90000\r\n"
    "a=fmtp:103 apt=102\r\n"
    "a=ssrc-group:FID 2222 3333\r\n"
    "a=ssrc:2222 cname:abc\r\n"
    "a=ssrc:3333 cname:abc\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:2\r\n"
    "a=recvonly\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:3\r\n"
    "a=sctp-port:5000\r\n";

} // namespace

TEST_CASE("SDP: a Chromium offer is read section by section")
{
    const auto offer = parseSdpOffer(kChromeOffer);
    REQUIRE(offer.media.size() == 4);
    CHECK(offer.bundle == std::vector<std::string>{"0", "1", "2", "3"});
    const auto& audio = offer.media[0];
    CHECK(audio.kind == "audio");
    CHECK(audio.mid == "0");
    CHECK(audio.direction == "sendrecv");
    CHECK(audio.iceUfrag == "Ab1c");
    CHECK(audio.fingerprint.rfind("sha-256 01:23", 0) == 0);
    CHECK(audio.setup == "actpass");
    CHECK(audio.rtcpMux);
    CHECK(audio.codecs.size() == 8);
    CHECK(audio.primarySsrc == 1111);
    CHECK(audio.extensions.size() == 4);

    const auto& camera = offer.media[1];
    CHECK(camera.direction == "sendonly");
    CHECK(camera.primarySsrc == 2222); // the media SSRC of the FID pair, not the RTX one
    CHECK(camera.ssrcs.size() == 2);
    CHECK(offer.media[3].kind == "application");
    CHECK(offer.media[3].codecs.empty());
}

TEST_CASE("SDP: codecs are chosen as the router forwards them")
{
    const auto offer = parseSdpOffer(kChromeOffer);
    const auto opus = chooseCodec(offer.media[0]);
    REQUIRE(opus);
    CHECK(opus->payloadType == 111);
    CHECK(opus->channels == 2);
    CHECK(opus->fmtp == "minptime=10;useinbandfec=1");
    // transport-cc, with its header extension offered too, for where the peer publishes.
    CHECK(opus->feedback == std::vector<std::string>{"transport-cc"});
    const auto vp8 = chooseCodec(offer.media[1]);
    REQUIRE(vp8);
    CHECK(vp8->name == "VP8");
    // No transport-cc: this section does not offer the sequence number extension.
    CHECK(vp8->feedback == std::vector<std::string>{"ccm fir", "nack", "nack pli"});
    CHECK_FALSE(chooseCodec(offer.media[3]));

    // Without VP8, H.264 with packetization-mode=1.
    auto h264Only = offer.media[1];
    std::erase_if(h264Only.codecs, [](const SdpCodec& c) { return c.name == "VP8"; });
    REQUIRE(chooseCodec(h264Only));
    CHECK(chooseCodec(h264Only)->payloadType == 102);
}

TEST_CASE("SDP: the answer is ICE-lite, bundled, passive, with our SSRC where we send")
{
    const auto offer = parseSdpOffer(kChromeOffer);
    std::vector<SdpAnswerMedia> answers(4);
    answers[0] = {SdpAnswerMedia::Role::Receive, chooseCodec(offer.media[0]), std::nullopt, 0, 0, "", "", {}};
    answers[1] = {SdpAnswerMedia::Role::Receive, chooseCodec(offer.media[1]), std::nullopt, 0, 0, "", "", {}};
    answers[2] = {SdpAnswerMedia::Role::Send, chooseCodec(offer.media[2]), std::nullopt, 424242, 0, "alice", "alice-camera", {}};
    answers[3] = {SdpAnswerMedia::Role::Rejected, std::nullopt, std::nullopt, 0, 0, "", "", {}};
    const auto answer = buildSdpAnswer(offer, answers,
                                       {"rUfr", "routerpassword0123456789", "sha-256 AA:BB", "192.0.2.10", 10000});
    const auto has = [&](const std::string& line) { return answer.find(line + "\r\n") != std::string::npos; };
    CHECK(has("a=ice-lite"));
    CHECK(has("a=group:BUNDLE 0 1 2"));
    CHECK(has("m=audio 10000 UDP/TLS/RTP/SAVPF 111"));
    CHECK(has("a=rtpmap:111 opus/48000/2"));
    CHECK(has("a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level"));
    // Transport-wide sequence numbers where the peer publishes (feedback goes to publishers).
    CHECK(has("a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"));
    CHECK(has("a=rtcp-fb:111 transport-cc"));
    CHECK(has("a=setup:passive"));
    CHECK(has("a=fingerprint:sha-256 AA:BB"));
    CHECK(has("a=candidate:1 1 udp 2130706431 192.0.2.10 10000 typ host"));
    CHECK(has("m=video 10000 UDP/TLS/RTP/SAVPF 96"));
    CHECK(has("a=sendonly"));
    CHECK(has("a=ssrc:424242 msid:alice alice-camera"));
    CHECK(has("m=application 0 UDP/DTLS/SCTP 0"));
    // Exactly one candidate for the bundle.
    CHECK(answer.find("a=candidate") == answer.rfind("a=candidate"));
}

TEST_CASE("SDP: the router's own clients read its end of the transport back from its answer")
{
    const auto offer = parseSdpOffer(kChromeOffer);
    std::vector<SdpAnswerMedia> answers(4);
    answers[0] = {SdpAnswerMedia::Role::Rejected, std::nullopt, std::nullopt, 0, 0, "", "", {}};
    answers[1] = {SdpAnswerMedia::Role::Receive, chooseCodec(offer.media[1]), std::nullopt, 0, 0, "", "", {}};
    answers[2] = {SdpAnswerMedia::Role::Send, chooseCodec(offer.media[2]), std::nullopt, 424242, 0, "alice", "alice-camera", {}};
    answers[3] = {SdpAnswerMedia::Role::Rejected, std::nullopt, std::nullopt, 0, 0, "", "", {}};
    const SdpAnswerTransport written{"rUfr", "routerpassword0123456789", "sha-256 AA:BB", "192.0.2.10", 10000, 10001};
    const auto transport = answerTransport(parseSdpOffer(buildSdpAnswer(offer, answers, written)));
    CHECK(transport.iceUfrag == "rUfr");
    CHECK(transport.icePwd == "routerpassword0123456789");
    CHECK(transport.fingerprint == "sha-256 AA:BB");
    CHECK(transport.address == "192.0.2.10");
    CHECK(transport.port == 10000); // the UDP candidate, not the TCP one

    // Candidates the reader cannot use are passed over, never refused: the router ignores them.
    const auto section = [](const std::string& candidates) {
        return "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
               "a=mid:0\r\na=ice-ufrag:u\r\na=ice-pwd:p\r\na=fingerprint:sha-256 AA\r\n" +
               candidates;
    };
    const auto hostile = parseSdpOffer(section("a=candidate:1 1 tcp 1 192.0.2.1 9 typ host\r\n"
                                               "a=candidate:1 1 udp 1 192.0.2.2 70000 typ host\r\n"
                                               "a=candidate:1 1 udp 1 192.0.2.3 12x typ host\r\n"
                                               "a=candidate:1 1 udp\r\n"
                                               "a=candidate:1 1 UDP 1 192.0.2.4 4000 typ host\r\n"));
    CHECK(hostile.media[0].udpCandidateAddress == "192.0.2.4");
    CHECK(hostile.media[0].udpCandidatePort == 4000);
    CHECK_THROWS_AS(answerTransport(parseSdpOffer(section(""))), SdpError);
}

TEST_CASE("SDP: retransmissions (RTX) are negotiated for the chosen video codec, with their own SSRC where we send")
{
    const auto offer = parseSdpOffer(kChromeOffer);
    CHECK(offer.media[1].primarySsrc == 2222);
    CHECK(offer.media[1].rtxSsrc == 3333);
    const auto rtx = chooseRtx(offer.media[1], 96);
    REQUIRE(rtx);
    CHECK(rtx->payloadType == 97);
    CHECK(chooseRtx(offer.media[1], 102)->payloadType == 103);
    CHECK_FALSE(chooseRtx(offer.media[1], 100)); // no rtx for that codec
    CHECK_FALSE(chooseRtx(offer.media[0], 111)); // audio is not repaired
    // apt must name the codec exactly, wherever it stands among the parameters.
    auto media = offer.media[1];
    for (auto& codec : media.codecs)
        if (codec.payloadType == 97)
            codec.fmtp = "apt=960";
    CHECK_FALSE(chooseRtx(media, 96));
    for (auto& codec : media.codecs)
        if (codec.payloadType == 97)
            codec.fmtp = "rtx-time=3000; apt=96";
    CHECK(chooseRtx(media, 96));

    std::vector<SdpAnswerMedia> answers(4);
    answers[1] = {SdpAnswerMedia::Role::Receive, chooseCodec(offer.media[1]), rtx, 0, 0, "", "", {}};
    answers[2] = {SdpAnswerMedia::Role::Send, chooseCodec(offer.media[2]), chooseRtx(offer.media[2], 96), 424242, 434343,
                  "alice", "alice-camera", {}};
    const auto answer = buildSdpAnswer(offer, answers,
                                       {"rUfr", "routerpassword0123456789", "sha-256 AA:BB", "192.0.2.10", 10000});
    const auto has = [&](const std::string& line) { return answer.find(line + "\r\n") != std::string::npos; };
    CHECK(has("m=video 10000 UDP/TLS/RTP/SAVPF 96 97"));
    CHECK(has("a=rtpmap:97 rtx/90000"));
    CHECK(has("a=fmtp:97 apt=96"));
    CHECK(has("a=ssrc-group:FID 424242 434343"));
    CHECK(has("a=ssrc:434343 msid:alice alice-camera"));
}

TEST_CASE("SDP: a simulcast offer's rids and layers are read, and an answer can take them")
{
    const std::string offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                              "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=sendonly\r\n"
                              "a=rtpmap:96 VP8/90000\r\n"
                              "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
                              "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n"
                              "a=rid:q send\r\na=rid:h send\r\na=rid:f send max-width=1280\r\n"
                              "a=simulcast:send q;h,x;~f\r\n";
    const auto parsed = parseSdpOffer(offer);
    REQUIRE(parsed.media.size() == 1);
    const auto& media = parsed.media[0];
    REQUIRE(media.rids.size() == 3);
    CHECK(media.rids[2].id == "f");
    CHECK(media.rids[2].direction == "send");
    CHECK(media.simulcastSend == std::vector<std::string>{"q", "h"}); // f is paused: not sent
    CHECK(media.primarySsrc == 0); // simulcast layers come without a=ssrc: bound by rid

    std::vector<SdpAnswerMedia> answers(1);
    answers[0].role = SdpAnswerMedia::Role::Receive;
    answers[0].codec = chooseCodec(media);
    answers[0].simulcastRecv = {"q", "h", "f"};
    const auto answer = buildSdpAnswer(parsed, answers, {"u", "p", "sha-256 AA", "192.0.2.1", 10000});
    const auto has = [&](const std::string& line) { return answer.find(line + "\r\n") != std::string::npos; };
    CHECK(has("a=rid:q recv"));
    CHECK(has("a=rid:f recv"));
    CHECK(has("a=simulcast:recv q;h;f"));
    CHECK(has("a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"));
    CHECK(has("a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"));

    // Hostile rids are refused with the line named.
    const auto with = [&](const std::string& lines) {
        return "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n" + lines;
    };
    CHECK_THROWS_WITH(parseSdpOffer(with("a=rid:q sideways\r\n")), Catch::Contains("line 4"));
    CHECK_THROWS_AS(parseSdpOffer(with("a=rid:" + std::string(17, 'a') + " send\r\n")), SdpError);
    CHECK_THROWS_AS(parseSdpOffer(with("a=rid:q\"; send\r\n")), SdpError);
    CHECK_THROWS_AS(parseSdpOffer(with("a=simulcast:send q;;h\r\n")), SdpError);
    std::string many;
    for (int i = 0; i < 9; ++i)
        many += "a=rid:r" + std::to_string(i) + " send\r\n";
    CHECK_THROWS_WITH(parseSdpOffer(with(many)), Catch::Contains("more than 8"));
}

TEST_CASE("SDP: hostile offers are refused with the line named, never crash")
{
    CHECK_THROWS_WITH(parseSdpOffer("o=- 1 1 IN IP4 0.0.0.0\r\n"), Catch::Contains("v=0"));
    CHECK_THROWS_WITH(parseSdpOffer("v=0\r\nm=audio 9\r\n"), Catch::Contains("line 2"));
    CHECK_THROWS_AS(parseSdpOffer("v=0\r\nm=audio 99999 RTP/AVP 0\r\n"), SdpError);
    CHECK_THROWS_AS(parseSdpOffer("v=0\r\nm=audio 9 RTP/AVP 300\r\n"), SdpError);
    CHECK_THROWS_AS(parseSdpOffer("v=0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n"), SdpError);
    CHECK_THROWS_AS(parseSdpOffer("v=0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/-5\r\n"), SdpError);
    CHECK_THROWS_AS(parseSdpOffer("v=0\r\nm=audio 9 RTP/AVP 0\r\na=ssrc:99999999999 cname:x\r\n"), SdpError);
    CHECK_THROWS_AS(parseSdpOffer("v=0\r\nm=audio 9 RTP/AVP 0\r\na=extmap:0 urn:x\r\n"), SdpError);
    CHECK_THROWS_AS(parseSdpOffer("v=0\r\n" + std::string(5000, 'a') + "\r\n"), SdpError);
    CHECK_THROWS_AS(parseSdpOffer("v=0\r\nthis is not sdp\r\n"), SdpError);
    // A mid ends up in other participants' SDP: token characters only.
    CHECK_THROWS_WITH(parseSdpOffer("v=0\r\nm=audio 9 RTP/AVP 0\r\na=mid:x y\r\n"), Catch::Contains("a=mid"));
    CHECK_THROWS_AS(parseSdpOffer("v=0\r\nm=audio 9 RTP/AVP 0\r\na=mid:a\rb\r\n"), SdpError);
    std::string many = "v=0\r\n";
    for (int i = 0; i < 65; ++i)
        many += "m=audio 9 RTP/AVP 0\r\n";
    CHECK_THROWS_WITH(parseSdpOffer(many), Catch::Contains("64"));
    CHECK_THROWS_AS(parseSdpOffer(std::string(200 * 1024, 'v')), SdpError);

    std::mt19937 random(8866);
    for (int i = 0; i < 3000; ++i) {
        auto mutated = kChromeOffer;
        for (int flips = 0; flips < 8; ++flips)
            mutated[random() % mutated.size()] = static_cast<char>(random() % 128);
        try {
            const auto offer = parseSdpOffer(mutated);
            for (const auto& media : offer.media)
                chooseCodec(media);
        }
        catch (const SdpError&) {
        }
    }
}
