// SIP calls' video through the media bridge and Parley's real media router, in process:
// endpoints that send and receive a VP8 stream over SDES-SRTP on real UDP sockets, keyframe
// requests both ways, and which participant's picture a call is shown.
#include "bridged_call.h"

#include <parley/sip/rtp_continuity.h>

#include <catch2/catch.hpp>

#include <algorithm>

using namespace parley;
using namespace parley::test;
using namespace std::chrono_literals;

namespace {

std::vector<VideoEndpoint::Frame> framesTagged(const std::vector<VideoEndpoint::Frame>& frames, std::uint8_t tag)
{
    std::vector<VideoEndpoint::Frame> tagged;
    std::copy_if(frames.begin(), frames.end(), std::back_inserter(tagged),
                 [tag](const VideoEndpoint::Frame& f) { return f.tag == tag; });
    return tagged;
}

/// Whether `frames` make one stream: one SSRC, each sequence number one more than the last,
/// timestamps never going back.
bool oneStream(const std::vector<VideoEndpoint::Frame>& frames)
{
    for (std::size_t i = 1; i < frames.size(); ++i)
        if (frames[i].ssrc != frames[0].ssrc || static_cast<std::uint16_t>(frames[i].sequence - frames[i - 1].sequence) != 1 ||
            static_cast<std::int32_t>(frames[i].timestamp - frames[i - 1].timestamp) <= 0)
            return false;
    return true;
}

std::vector<router::PublishedTrack> without(std::vector<router::PublishedTrack> tracks, const std::string& owner)
{
    std::erase_if(tracks, [&](const router::PublishedTrack& t) { return t.id.rfind(owner + "/", 0) == 0; });
    return tracks;
}

} // namespace

TEST_CASE("RtpContinuity keeps one stream across a change of source: sequence numbers follow on, timestamps move "
          "with the time between, steps within a source are kept",
          "[sip][video]")
{
    sip::RtpContinuity continuity(90000, 100, 5000);
    auto a = continuity.map(0xaaaa, 40000, 1'000'000, 1'000'000);
    CHECK(a.sequence == 100);
    const auto first = a.timestamp;
    a = continuity.map(0xaaaa, 40001, 1'003'000, 1'033'000);
    CHECK(a.sequence == 101);
    CHECK(a.timestamp == first + 3000);
    // A gap in the source stays a gap; a late packet keeps its own place.
    a = continuity.map(0xaaaa, 40003, 1'009'000, 1'100'000);
    CHECK(a.sequence == 103);
    a = continuity.map(0xaaaa, 40002, 1'006'000, 1'101'000);
    CHECK(a.sequence == 102);
    CHECK(a.timestamp == first + 6000);
    // Another source, 0.5 s later, with numbers of its own: it follows the highest sent.
    const auto b = continuity.map(0xbbbb, 12, 777, 1'600'000);
    CHECK(b.sequence == 104);
    CHECK(b.timestamp == first + 9000 + 45000); // 0.5 s at 90 kHz after the last sent
    CHECK(continuity.map(0xbbbb, 13, 777 + 3000, 1'633'000).sequence == 105);
    // Wrapping sequence numbers wrap through.
    sip::RtpContinuity wrap(90000, 65535, 0);
    CHECK(wrap.map(1, 9, 0, 10).sequence == 65535);
    CHECK(wrap.map(1, 10, 3000, 20).sequence == 0);
}

TEST_CASE("Two SIP calls with video in one meeting each see the other's picture from a keyframe on, and keyframe "
          "requests pass both ways: RTCP PLI, RFC 2032 FIR and SIP INFO",
          "[sip][video]")
{
    LoopbackRouter meeting;
    auto& router = meeting.router;
    const auto& context = meeting.context;

    // The ward's endpoint takes PLI by RTCP; the desk's offered no RTCP feedback, so the
    // bridge asks it by SIP INFO.
    BridgedCall ward(router, context, "ward-3", sip::AudioCodec::Opus, 111, 600, VideoOptions{1, true, false});
    BridgedCall desk(router, context, "desk-7", sip::AudioCodec::Opus, 111, 1000, VideoOptions{2, false, false});
    REQUIRE(ward.bridge->hasVideo());
    const auto wardTracks = ward.negotiateTracks({});
    REQUIRE(wardTracks.size() == 2);
    CHECK(std::any_of(wardTracks.begin(), wardTracks.end(),
                      [](const auto& t) { return t.kind == "video" && t.codec == "VP8"; }));
    const auto deskTracks = desk.negotiateTracks(wardTracks);
    ward.negotiateTracks(deskTracks);

    // Each sees the other's picture. The endpoints' first keyframes went out before the
    // bridges reached the router, so these pictures came from keyframes asked for: the
    // bridge's PLI to the router, the router's to the other bridge, and that bridge's to its
    // endpoint, by RTCP PLI for the ward and by SIP INFO for the desk.
    REQUIRE(test::eventually([&] { return framesTagged(ward.video->received(), 2).size() > 30 &&
                                          framesTagged(desk.video->received(), 1).size() > 30; }, 15s));
    const auto wardSaw = ward.video->received();
    const auto deskSaw = desk.video->received();
    CAPTURE(ward.failure, desk.failure, wardSaw.size(), deskSaw.size());
    CHECK(framesTagged(wardSaw, 1).empty()); // never its own
    CHECK(framesTagged(deskSaw, 2).empty());
    CHECK(wardSaw.front().keyframe); // a picture starts with a keyframe
    CHECK(deskSaw.front().keyframe);
    CHECK(wardSaw.front().payloadType == VideoEndpoint::kPayloadType); // in its own payload type
    CHECK(oneStream(wardSaw));
    CHECK(oneStream(deskSaw));
    CHECK(ward.video->rtcpRequests() >= 1);
    CHECK(ward.video->compoundRequests() == ward.video->rtcpRequests()); // each after a receiver report
    CHECK(desk.infoRequests >= 1);
    CHECK(desk.video->rtcpRequests() == 0); // nothing it did not offer
    const auto wardStats = ward.bridge->stats();
    CHECK(wardStats.videoFromEndpoint > 30);
    CHECK(wardStats.videoToEndpoint > 30);
    CHECK(wardStats.keyframeRequestsToEndpoint >= 1);
    CHECK(wardStats.endpointRejected == 0);

    // The ward's endpoint asks for a keyframe of what it sees, by each means an endpoint has:
    // each reaches the desk's endpoint (by SIP INFO) through both bridges and the router.
    // The bridges pass a request to an endpoint at most twice a second.
    const auto ask = [&](auto send) {
        std::this_thread::sleep_for(600ms);
        const auto before = desk.video->keyframesSent();
        const auto requestsBefore = ward.bridge->stats().keyframeRequestsFromEndpoint;
        send();
        REQUIRE(test::eventually([&] { return desk.video->keyframesSent() > before; }, 3s));
        CHECK(ward.bridge->stats().keyframeRequestsFromEndpoint == requestsBefore + 1);
    };
    std::array<std::uint8_t, 20> rtcp{};
    const auto deskSsrc = wardSaw.back().ssrc;
    ask([&] { ward.video->sendRtcp(std::span(rtcp).first(router::writeRtcpPli(rtcp, 0x22000000, deskSsrc))); });
    ask([&] {
        // RFC 2032's FIR, as baresip sends it to a peer that offered no rtcp-fb.
        const std::array<std::uint8_t, 8> fir{0x80, router::kRtcpFullIntraRequest, 0, 1, 0x22, 0, 0, 0};
        ward.video->sendRtcp(fir);
    });
    ask([&] { ward.video->sendRtcp(std::span(rtcp).first(router::writeRtcpFir(rtcp, 0x22000000, deskSsrc, 1))); });
    ask([&] { ward.bridge->requestKeyframeFromMeeting(); }); // its SIP INFO picture_fast_update

    SECTION("a rekey renews the video's keys too, and the picture goes on")
    {
        const auto newVideoKey = freshKey(router::SrtpProfile::AeadAes128Gcm);
        // The bridge's new key for the ward's video, with the endpoint's own kept: what
        // the ward's endpoint receives now opens only under the new key.
        ward.bridge->rekey({ward.endpoint.plan().remoteCrypto, ward.video->plan(true, false).remoteCrypto},
                           {freshKey(router::SrtpProfile::AeadAes128Gcm), newVideoKey});
        REQUIRE(test::eventually([&] { return ward.bridge->stats().rekeys == 1; }, 2s));
        const auto before = framesTagged(ward.video->received(), 2).size();
        std::this_thread::sleep_for(500ms);
        // The endpoint still holds the old key: nothing more opens there.
        CHECK(framesTagged(ward.video->received(), 2).size() <= before + 1);
        CHECK(ward.bridge->stats().videoFromEndpoint > wardStats.videoFromEndpoint); // its own key stayed
    }
}

TEST_CASE("A SIP call is shown the participant speaking, switching at a keyframe after half a second of speech, "
          "and sees one unbroken stream across the switch",
          "[sip][video]")
{
    LoopbackRouter meeting;
    auto& router = meeting.router;
    const auto& context = meeting.context;

    BridgedCall viewer(router, context, "viewer", sip::AudioCodec::Opus, 111, 0, VideoOptions{1, true, false});
    BridgedCall nurse(router, context, "nurse", sip::AudioCodec::Opus, 111, 1000, VideoOptions{2, true, false});
    BridgedCall doctor(router, context, "doctor", sip::AudioCodec::Opus, 111, 0, VideoOptions{3, true, false});
    auto viewerTracks = viewer.negotiateTracks({});
    auto nurseTracks = nurse.negotiateTracks(viewerTracks);
    std::vector<router::PublishedTrack> all = viewerTracks;
    all.insert(all.end(), nurseTracks.begin(), nurseTracks.end());
    auto doctorTracks = doctor.negotiateTracks(all);
    all.insert(all.end(), doctorTracks.begin(), doctorTracks.end());
    viewer.negotiateTracks(without(all, "viewer"));
    nurse.negotiateTracks(without(all, "nurse"));

    // The nurse speaks: the viewer sees the nurse.
    REQUIRE(test::eventually([&] {
        const auto seen = viewer.video->received();
        return !seen.empty() && seen.back().tag == 2 && framesTagged(seen, 2).size() > 20;
    }, 15s));
    const auto switchesBefore = viewer.bridge->stats().videoSwitches;
    const auto shownBefore = viewer.video->received().size();

    // The doctor speaks and the nurse stops: after the nurse's two seconds and half a second
    // of the doctor, the picture changes, at a keyframe of the doctor's.
    nurse.endpoint.setTone(0);
    doctor.endpoint.setTone(700);
    const auto spokeAt = std::chrono::steady_clock::now();
    REQUIRE(test::eventually([&] { return viewer.video->received().back().tag == 3; }, 6s));
    const auto switchedAfter = std::chrono::steady_clock::now() - spokeAt;
    CHECK(switchedAfter >= 400ms);
    std::this_thread::sleep_for(1s);
    const auto seen = viewer.video->received();
    const std::vector<VideoEndpoint::Frame> fromSwitch(seen.begin() + static_cast<std::ptrdiff_t>(shownBefore), seen.end());
    const auto firstDoctor = std::find_if(fromSwitch.begin(), fromSwitch.end(), [](const auto& f) { return f.tag == 3; });
    REQUIRE(firstDoctor != fromSwitch.end());
    CHECK(firstDoctor->keyframe);
    // After the switch only the doctor, and never the speaker's own... the viewer's.
    CHECK(std::all_of(firstDoctor, fromSwitch.end(), [](const auto& f) { return f.tag == 3; }));
    CHECK(framesTagged(seen, 1).empty());
    CHECK(oneStream(seen));
    CHECK(viewer.bridge->stats().videoSwitches == switchesBefore + 1);
}
