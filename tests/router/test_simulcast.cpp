// Simulcast: layers learnt by rid, the per-copy layer switch (renumbering), the allocator,
// and the router doing all of it over real UDP with a Chrome-style publisher.
#include "webrtc_peer.h"

#include "layer_allocator.h"
#include "layer_switch.h"
#include "participant.h"

#include <parley/router/media_router.h>
#include <parley/router/media_tap.h>
#include <parley/router/rtcp_packet.h>
#include <parley/router/rtp_packet.h>
#include <parley/router/vp8_descriptor.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <limits>

using namespace parley::router;
using namespace std::chrono_literals;
using parley::router::test::Bytes;
using parley::router::test::Peer;

namespace {

RouterSettings loopback()
{
    RouterSettings settings;
    settings.listenAddress = "127.0.0.1";
    settings.port = 0;
    settings.announcedAddress = "127.0.0.1";
    return settings;
}

/// A plain VP8 RTP packet with a descriptor (15-bit picture id, TL0PICIDX); keyframe or not.
Bytes vp8Packet(std::uint16_t sequence, std::uint32_t timestamp, std::uint16_t pictureId, std::uint8_t tl0,
                bool keyframe)
{
    Bytes packet{0x80, 96, static_cast<std::uint8_t>(sequence >> 8), static_cast<std::uint8_t>(sequence),
                 static_cast<std::uint8_t>(timestamp >> 24), static_cast<std::uint8_t>(timestamp >> 16),
                 static_cast<std::uint8_t>(timestamp >> 8), static_cast<std::uint8_t>(timestamp), 0, 0, 0, 1,
                 0x90, 0xc0, static_cast<std::uint8_t>(0x80 | (pictureId >> 8)), static_cast<std::uint8_t>(pictureId),
                 tl0};
    if (keyframe)
        for (const std::uint8_t b : {0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01})
            packet.push_back(b); // 640x360
    else
        packet.push_back(0x11);
    packet.push_back(0);
    return packet;
}

struct Mapped
{
    bool forwarded = false;
    CopyHeader header;
    Vp8Descriptor vp8;
};

Mapped map(LayerMapping& mapping, const Publication& publication, int layer, const Bytes& packet, std::int64_t now)
{
    Mapped result;
    RtpView view;
    REQUIRE(parseRtp(packet, view));
    const auto payload = std::span<const std::uint8_t>(packet).subspan(view.payloadOffset, view.payloadLength);
    REQUIRE(parseVp8Descriptor(payload, result.vp8));
    const bool keyframe = vp8KeyframeSize(payload).height != 0;
    result.forwarded = mapLayerPacket(mapping, publication, layer, view, keyframe, &result.vp8, now, result.header);
    return result;
}

Publication threeLayers()
{
    Publication publication;
    publication.video = true;
    publication.codec = "VP8";
    publication.clockRate = 90000;
    publication.layers.resize(3);
    const char* rids[] = {"q", "h", "f"};
    for (std::size_t i = 0; i < 3; ++i) {
        publication.layers[i].rid = rids[i];
        publication.layers[i].ssrc = static_cast<std::uint32_t>(100 + i);
    }
    return publication;
}

} // namespace

TEST_CASE("VP8 descriptor: picture id and TL0PICIDX are found and rewritten, and a keyframe's size is read")
{
    const auto packet = vp8Packet(1, 0, 0x1234, 7, true);
    const auto payload = std::span<const std::uint8_t>(packet).subspan(12);
    Vp8Descriptor d;
    REQUIRE(parseVp8Descriptor(payload, d));
    CHECK(d.startOfPartition);
    CHECK(d.longPictureId);
    CHECK(d.pictureId == 0x1234);
    CHECK(d.tl0PicIdx == 7);
    CHECK(d.dataOffset == 5);
    const auto size = vp8KeyframeSize(payload);
    CHECK(size.width == 640);
    CHECK(size.height == 360);
    Bytes copy(payload.begin(), payload.end());
    rewriteVp8Descriptor(copy, d, 0x7ffe, 200);
    Vp8Descriptor again;
    REQUIRE(parseVp8Descriptor(copy, again));
    CHECK(again.pictureId == 0x7ffe);
    CHECK(again.tl0PicIdx == 200);
    CHECK(vp8KeyframeSize(copy).height == 360); // the frame itself untouched

    // An interframe has no size; 7-bit picture ids are kept 7-bit.
    const auto inter = vp8Packet(2, 0, 5, 7, false);
    CHECK(vp8KeyframeSize(std::span<const std::uint8_t>(inter).subspan(12)).height == 0);
    Bytes shortId{0x90, 0x80, 0x05, 0x11};
    REQUIRE(parseVp8Descriptor(shortId, d));
    CHECK_FALSE(d.longPictureId);
    rewriteVp8Descriptor(shortId, d, 0x1ff, 0);
    CHECK(shortId[2] == 0x7f);
}

TEST_CASE("VP8 descriptor: every truncation is refused without reading past the end")
{
    const auto packet = vp8Packet(1, 0, 0x1234, 7, true);
    const Bytes payload(packet.begin() + 12, packet.end());
    for (std::size_t length = 0; length <= 5; ++length) {
        Vp8Descriptor d;
        const Bytes cut(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(length));
        CHECK_FALSE(parseVp8Descriptor(cut, d)); // no frame data after the descriptor
        CHECK(vp8KeyframeSize(cut).height == 0);
    }
    for (std::size_t length = 6; length < payload.size() - 1; ++length) {
        const Bytes cut(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(length));
        CHECK(vp8KeyframeSize(cut).height == 0); // the keyframe header is cut
    }
}

TEST_CASE("Layer switch: a copy moves to the target layer at its keyframe with sequence numbers, timestamps and picture ids continuing")
{
    auto publication = threeLayers();
    LayerMapping m;
    m.current = -1;
    m.target = 0;
    // Nothing before the lowest layer's keyframe.
    CHECK_FALSE(map(m, publication, 0, vp8Packet(10, 1000, 50, 3, false), 0).forwarded);
    CHECK_FALSE(map(m, publication, 2, vp8Packet(900, 777000, 9000, 90, true), 0).forwarded); // not the target
    auto first = map(m, publication, 0, vp8Packet(11, 4000, 51, 4, true), 0);
    REQUIRE(first.forwarded);
    CHECK(first.header.sequence == 11);
    CHECK(first.header.pictureId == 51);
    auto second = map(m, publication, 0, vp8Packet(12, 7000, 52, 4, false), 33'000);
    CHECK(second.forwarded);

    // The allocator wants the high layer: its interframes are not taken, its keyframe is.
    m.target = 2;
    CHECK_FALSE(map(m, publication, 2, vp8Packet(901, 780000, 9001, 91, false), 40'000).forwarded);
    CHECK(map(m, publication, 0, vp8Packet(13, 10000, 53, 5, false), 66'000).forwarded); // still the low one
    auto switched = map(m, publication, 2, vp8Packet(902, 783000, 9002, 91, true), 99'000);
    REQUIRE(switched.forwarded);
    CHECK(switched.header.sequence == 14);
    CHECK(switched.header.pictureId == 54);
    CHECK(switched.header.tl0PicIdx == 6);
    // Without sender reports: the time since the last packet, 33 ms = 2970 ticks.
    CHECK(switched.header.timestamp == 10000 + 2970);
    auto next = map(m, publication, 2, vp8Packet(903, 786000, 9003, 92, false), 132'000);
    REQUIRE(next.forwarded);
    CHECK(next.header.sequence == 15);
    CHECK(next.header.timestamp == switched.header.timestamp + 3000);
    CHECK(next.header.pictureId == 55);
    CHECK(next.header.tl0PicIdx == 7);
    // The old layer is dropped now, late packets of it included; so is a late resend of the
    // new layer from before its keyframe (its number would be the old layer's last).
    CHECK_FALSE(map(m, publication, 0, vp8Packet(14, 13000, 54, 5, false), 133'000).forwarded);
    CHECK_FALSE(map(m, publication, 2, vp8Packet(901, 780000, 9001, 91, false), 134'000).forwarded);

    // NACKs: ours back to the publisher's numbers of the high layer; earlier ones are gone.
    CHECK(originalSequence(m, 15) == std::optional<std::uint16_t>(903));
    CHECK(originalSequence(m, 14) == std::optional<std::uint16_t>(902));
    CHECK_FALSE(originalSequence(m, 13).has_value());
    CHECK(m.switches == 2);
    // Long after the switch (half the sequence space and more), NACKs are still answered.
    for (std::uint16_t ahead : {1000, 32768, 40000, 64000}) {
        const auto ours = static_cast<std::uint16_t>(14 + ahead);
        CHECK(originalSequence(m, ours) == std::optional<std::uint16_t>(static_cast<std::uint16_t>(902 + ahead)));
    }
}

TEST_CASE("Layer switch: with both layers' sender reports the timestamps line up on the NTP clock, and never go back")
{
    auto publication = threeLayers();
    LayerMapping m;
    m.current = -1;
    m.target = 0;
    // Layer 0 at NTP second 100 was RTP 1000; layer 1 at NTP second 100.5 was RTP 500000.
    publication.layers[0].reportNtp = std::uint64_t(100) << 32;
    publication.layers[0].reportRtpTimestamp = 1000;
    publication.layers[1].reportNtp = (std::uint64_t(100) << 32) + (std::uint64_t(1) << 31);
    publication.layers[1].reportRtpTimestamp = 500000;
    REQUIRE(map(m, publication, 0, vp8Packet(1, 1000 + 45000, 1, 1, true), 0).forwarded);
    m.target = 1;
    // Captured at NTP 100.5 + 0.1 s: in layer 0's time 1000 + 0.6 * 90000.
    const auto switched = map(m, publication, 1, vp8Packet(50, 500000 + 9000, 7, 1, true), 10'000);
    REQUIRE(switched.forwarded);
    CHECK(switched.header.timestamp == 1000 + 54000);

    // A layer whose reports would put its picture before the last one sent: one tick on.
    m.target = 2;
    publication.layers[2].reportNtp = std::uint64_t(90) << 32;
    publication.layers[2].reportRtpTimestamp = 0;
    const auto back = map(m, publication, 2, vp8Packet(70, 10, 9, 1, true), 20'000);
    REQUIRE(back.forwarded);
    CHECK(back.header.timestamp == switched.header.timestamp + 1);
}

TEST_CASE("Layer allocator: within the budget, one step at a time for each video, capped by the size shown, with a margin to go up")
{
    Participant subscriber;
    auto a = threeLayers();
    auto b = threeLayers();
    const std::int64_t now = 10'000'000;
    for (auto* publication : {&a, &b}) {
        const std::uint32_t rates[] = {150'000, 500'000, 1'500'000};
        const std::uint16_t heights[] = {180, 360, 720};
        for (std::size_t i = 0; i < 3; ++i) {
            for (std::size_t second = 0; second < InboundLayer::kSettledSamples; ++second)
                publication->layers[i].sampleRate(rates[i]);
            publication->layers[i].height = heights[i];
            publication->layers[i].lastPacketMicros = now - 100'000;
        }
    }
    subscriber.subscriptions.push_back({"1", 11, &a});
    subscriber.subscriptions.push_back({"2", 12, &b});
    for (auto* publication : {&a, &b}) {
        OutgoingStream stream{};
        stream.subscriber = &subscriber;
        stream.ssrc = publication == &a ? 11 : 12;
        stream.layers.current = 0;
        publication->outgoing.push_back(stream);
    }
    auto& streamA = a.outgoing.front();
    auto& streamB = b.outgoing.front();

    // Unlimited: both the top layer; it says it would take 3 Mbit/s.
    CHECK(LayerAllocator::allocate(subscriber, std::numeric_limits<std::uint32_t>::max(), now) == 3'000'000);
    CHECK(streamA.layers.target == 2);
    CHECK(streamB.layers.target == 2);
    // 1.3 Mbit/s: both the middle layer (2 x 500k), not one high and one low.
    LayerAllocator::allocate(subscriber, 1'300'000, now);
    CHECK(streamA.layers.target == 1);
    CHECK(streamB.layers.target == 1);
    // 250 kbit/s: the lowest layers, even over the budget (pictures keep coming).
    LayerAllocator::allocate(subscriber, 250'000, now);
    CHECK(streamA.layers.target == 0);
    CHECK(streamB.layers.target == 0);
    // Going up needs 15 % to spare: 150k + 150k + 350k fits in 660k, but not with the
    // margin; once on that layer, the same budget keeps it.
    LayerAllocator::allocate(subscriber, 660'000, now);
    CHECK(streamA.layers.target == 0);
    streamA.layers.current = 1;
    LayerAllocator::allocate(subscriber, 660'000, now);
    CHECK(streamA.layers.target == 1);
    CHECK(streamB.layers.target == 0);
    // Staying tolerates 15 % over: 300k left for a 350k step holds, 290k does not.
    LayerAllocator::allocate(subscriber, 600'000, now);
    CHECK(streamA.layers.target == 1);
    LayerAllocator::allocate(subscriber, 590'000, now);
    CHECK(streamA.layers.target == 0);

    // A small tile: the first layer at least as tall as it is enough.
    streamA.shownHeight = 200;
    LayerAllocator::allocate(subscriber, std::numeric_limits<std::uint32_t>::max(), now);
    CHECK(streamA.layers.target == 1);
    CHECK(streamB.layers.target == 2);
    streamA.shownHeight = 1;
    LayerAllocator::allocate(subscriber, std::numeric_limits<std::uint32_t>::max(), now);
    CHECK(streamA.layers.target == 0);

    // A layer that stopped sending is not chosen.
    b.layers[2].lastPacketMicros = now - 5'000'000;
    LayerAllocator::allocate(subscriber, std::numeric_limits<std::uint32_t>::max(), now);
    CHECK(streamB.layers.target == 1);
}

TEST_CASE("Layer allocator: a layer that just started, or whose rate swings, is planned on full seconds and its peak")
{
    Participant subscriber;
    auto a = threeLayers();
    const std::int64_t now = 10'000'000;
    const std::uint16_t heights[] = {180, 360, 720};
    for (std::size_t i = 0; i < 3; ++i) {
        a.layers[i].height = heights[i];
        a.layers[i].lastPacketMicros = now - 100'000;
    }
    subscriber.subscriptions.push_back({"1", 11, &a});
    OutgoingStream copy{};
    copy.subscriber = &subscriber;
    copy.ssrc = 11;
    copy.layers.current = 0;
    a.outgoing.push_back(copy);
    auto& stream = a.outgoing.front();

    a.layers[0].sampleRate(150'000);
    a.layers[0].sampleRate(150'000);
    // The middle layer's first second is a tenth of a second of it: it looks nearly free, but
    // is not chosen until a full second is measured.
    a.layers[1].sampleRate(40'000);
    CHECK_FALSE(a.layers[1].settled(now));
    LayerAllocator::allocate(subscriber, 400'000, now);
    CHECK(stream.layers.target == 0);
    a.layers[1].sampleRate(350'000);
    CHECK(a.layers[1].settled(now));
    CHECK(a.layers[1].bitsPerSecond == 350'000);
    // 150k and a 200k step with its margin: 380k.
    LayerAllocator::allocate(subscriber, 360'000, now);
    CHECK(stream.layers.target == 0);
    LayerAllocator::allocate(subscriber, 400'000, now);
    CHECK(stream.layers.target == 1);

    // One quiet second does not make it look cheap: the peak of the last three counts.
    a.layers[1].sampleRate(180'000);
    CHECK(a.layers[1].bitsPerSecond == 350'000);
    LayerAllocator::allocate(subscriber, 360'000, now);
    CHECK(stream.layers.target == 0);
    a.layers[1].sampleRate(180'000);
    a.layers[1].sampleRate(180'000);
    CHECK(a.layers[1].bitsPerSecond == 180'000);
    LayerAllocator::allocate(subscriber, 360'000, now);
    CHECK(stream.layers.target == 1);

    // A silent second starts it over: after a pause it must be measured again.
    a.layers[1].sampleRate(0);
    CHECK_FALSE(a.layers[1].settled(now));
    CHECK(a.layers[1].bitsPerSecond == 0);
}

TEST_CASE("Router: a Chrome-style simulcast publisher's layers are learnt by rid, a subscriber starts on the lowest, moves up at a keyframe, and down when its page shows the video small, and the recording takes the best")
{
    MediaRouter router(loopback());
    Peer alice("alice");
    Peer bob("bob");
    Peer::Section simulcast{"0", "video", "sendonly"};
    simulcast.nack = true;
    simulcast.rids = {"q", "h", "f"};
    const auto answer = router.negotiate(1, "alice", alice.offer({simulcast}), {{"0", "video"}}, {}).answer;
    CHECK(answer.find("a=simulcast:recv q;h;f") != std::string::npos);
    CHECK(answer.find("a=rid:f recv") != std::string::npos);
    CHECK(answer.find("urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id") != std::string::npos);
    alice.applyAnswer(answer);
    REQUIRE(alice.connect());
    // The meeting is recorded: the recording takes the best layer.
    auto tap = std::make_shared<MediaTap>(4096);
    router.startTap(1, tap);
    Peer::Section receive{"0", "video", "recvonly"};
    receive.nack = true;
    bob.applyAnswer(router.negotiate(1, "bob", bob.offer({receive}), {}, {{"0", "alice/0"}}).answer);
    REQUIRE(bob.connect());

    // Layers: SSRCs 5000 (q, 180p), 5001 (h, 360p), 5002 (f, 720p), each with its own
    // numbering, as browsers send them.
    const std::uint32_t ssrcs[] = {5000, 5001, 5002};
    const char* rids[] = {"q", "h", "f"};
    const std::uint16_t heights[] = {180, 360, 720};
    std::uint16_t sequences[] = {100, 20000, 60000};
    std::uint32_t timestamps[] = {1000, 3'000'000, 4'000'000'000u};
    std::uint16_t pictures[] = {10, 3000, 32700};
    bool keyframeDue[] = {true, true, true};
    // A stream the offer did not name, and a packet naming no known rid: never forwarded.
    alice.sendVp8(6000, "0", "zz", 1, 1, 1, 1, true, 180);
    alice.sendVp8(6001, "9", "q", 1, 1, 1, 1, true, 180);

    struct Received
    {
        std::uint8_t layerByte;
        std::uint16_t sequence;
        std::uint32_t timestamp;
        std::uint16_t pictureId;
    };
    std::vector<Received> received;
    std::vector<Received> recorded;
    auto round = [&](bool layersToSend[3]) {
        for (int l = 0; l < 3; ++l) {
            if (!layersToSend[l])
                continue;
            alice.sendVp8(ssrcs[l], "0", rids[l], sequences[l]++, timestamps[l], pictures[l]++, 1, keyframeDue[l],
                          heights[l]);
            keyframeDue[l] = false;
            timestamps[l] += 3000;
        }
        for (auto packet = bob.receiveRtp(15ms); !packet.empty(); packet = bob.receiveRtp(5ms)) {
            RtpView view;
            REQUIRE(parseRtp(packet, view));
            Vp8Descriptor d;
            REQUIRE(parseVp8Descriptor(std::span<const std::uint8_t>(packet).subspan(view.payloadOffset), d));
            received.push_back({packet.back(), view.sequence, view.timestamp, d.pictureId});
        }
        while (const auto* entry = tap->peek()) {
            RtpView view;
            if (entry->kind == TapEntry::Kind::Rtp && parseRtp(entry->bytes(), view))
                recorded.push_back({entry->bytes().back(), view.sequence, view.timestamp, 0});
            tap->consume();
        }
        alice.receiveRtp(2ms);
        // A keyframe when the router asks for one.
        for (const auto ssrc : alice.pliSsrcs)
            for (int l = 0; l < 3; ++l)
                if (ssrc == ssrcs[l])
                    keyframeDue[l] = true;
        alice.pliSsrcs.clear();
    };
    bool all[3] = {true, true, true};
    // Only the lowest layer at first: Bob gets it.
    bool lowOnly[3] = {true, false, false};
    for (int i = 0; i < 5; ++i)
        round(lowOnly);
    REQUIRE(!received.empty());
    CHECK(received.front().layerByte == (5000 & 0xff));
    // Then all three: the router asks for the top layer's keyframe and moves Bob to it.
    // (A layer is chosen once its first second's rate is measured.)
    for (int i = 0; i < 200 && (received.empty() || received.back().layerByte != (5002 & 0xff)); ++i)
        round(all);
    REQUIRE(received.back().layerByte == (5002 & 0xff));
    for (int i = 0; i < 5; ++i)
        round(all);
    // One stream for Bob throughout: each number one more than the last, timestamps and
    // picture ids never going back, across the switch.
    for (std::size_t i = 1; i < received.size(); ++i) {
        CHECK(received[i].sequence == static_cast<std::uint16_t>(received[i - 1].sequence + 1));
        CHECK(static_cast<std::int32_t>(received[i].timestamp - received[i - 1].timestamp) > 0);
        CHECK(received[i].pictureId == ((received[i - 1].pictureId + 1) & 0x7fff));
    }
    const auto stats = router.stats();
    CHECK(stats.layerSwitches >= 1);

    // His page shows the video 100 pixels tall: the small layer will do.
    router.setShownHeights("bob", {{"alice/0", 100}});
    for (int i = 0; i < 200 && received.back().layerByte != (5000 & 0xff); ++i)
        round(all);
    CHECK(received.back().layerByte == (5000 & 0xff));
    CHECK(router.stats().layerSwitches >= 2);

    // The recording stayed on the best layer, one continuous stream.
    REQUIRE(!recorded.empty());
    CHECK(recorded.back().layerByte == (5002 & 0xff));
    for (std::size_t i = 1; i < recorded.size(); ++i)
        CHECK(recorded[i].sequence == static_cast<std::uint16_t>(recorded[i - 1].sequence + 1));
}
