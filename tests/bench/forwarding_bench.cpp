// CPU cost of forwarding one RTP packet copy, against the floor of what any SFU must spend
// per copy: one srtp_protect and one batched UDP send of the same packet.
//
//   build/release/tests/bench/forwarding_bench [packets-per-run]
//
// For fan-out 1, 10 and 50 it runs the router's own media path (RtpForwarder, RtcpHandler)
// on a real UDP socket: SRTP-unprotect the publisher's packet once, parse it, keep its
// statistics and a copy for resends, then per subscriber write the copy (the publisher's
// header extensions replaced by playout-delay, SSRC and payload type rewritten), protect it
// with that subscriber's session and queue it for sendmmsg. Modes: plain; nack+rtx (every
// subscriber NACKs 2 % of packets, answered as RTX); twcc (transport-wide sequence numbers
// recorded, feedback built every 100 ms); all; paced (twcc, and every subscriber's pacer set
// below the media rate, so every copy waits in it and is written from the packet store on
// the 5 ms tick: the worst case of pacing). CPU time is the process's (one thread), and
// the heap allocations inside the measured loop are counted (there must be none).
#include "keyframe_requester.h"
#include "packet_sender.h"
#include "participant.h"
#include "router_counters.h"
#include "rtcp_handler.h"
#include "rtp_forwarder.h"
#include "udp_socket.h"

#include <parley/router/rtp_packet.h>
#include <parley/router/srtp_session.h>

#include <arpa/inet.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

using namespace parley::router;

// Every heap allocation in the process, so the bench can say the measured loop makes none.
static std::uint64_t g_allocations = 0;

void* operator new(std::size_t size)
{
    ++g_allocations;
    if (void* memory = std::malloc(size ? size : 1))
        return memory;
    throw std::bad_alloc();
}

void operator delete(void* memory) noexcept
{
    std::free(memory);
}

void operator delete(void* memory, std::size_t) noexcept
{
    std::free(memory);
}

namespace {

double cpuSeconds()
{
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

std::vector<std::uint8_t> key(std::uint8_t seed)
{
    std::vector<std::uint8_t> material(28);
    for (std::size_t i = 0; i < material.size(); ++i)
        material[i] = static_cast<std::uint8_t>(seed + i * 7);
    return material;
}

// A 1100-byte video packet as Chrome sends it: one-byte header extensions, VP8 payload.
std::vector<std::uint8_t> videoPacket(std::uint16_t sequence)
{
    std::vector<std::uint8_t> packet{0x90, 96, static_cast<std::uint8_t>(sequence >> 8),
                                     static_cast<std::uint8_t>(sequence), 0, 1, 0, 0, 0x11, 0x22, 0x33, 0x44,
                                     0xbe, 0xde, 0x00, 0x02, 0x22, 0x01, 0x02, 0x03, 0x41, '1', 0, 0};
    packet.resize(1100, 0x5a);
    return packet;
}

Endpoint sinkEndpoint(std::uint16_t port)
{
    sockaddr_storage storage{};
    auto& v4 = reinterpret_cast<sockaddr_in&>(storage);
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &v4.sin_addr);
    return Endpoint::from(storage, sizeof v4);
}

/// The floor: protect one copy and send it, batched; seconds of CPU per copy.
double floorCost(int packets, UdpSocket& socket, const Endpoint& sink)
{
    SrtpSession session(SrtpProfile::AeadAes128Gcm, SrtpSession::Direction::Outbound, key(1));
    SendBatch batch(socket.descriptor());
    const auto packet = videoPacket(1);
    const auto start = cpuSeconds();
    for (int i = 0; i < packets; ++i) {
        auto slot = batch.slot();
        std::memcpy(slot.data(), packet.data(), packet.size());
        const auto length = session.protectRtp(slot.data(), packet.size(), slot.size());
        batch.commit(length, sink);
        if (batch.pending() == 32)
            batch.flush();
    }
    batch.flush();
    return (cpuSeconds() - start) / packets;
}

/// What a run turns on beside plain forwarding.
struct Mode
{
    const char* name;
    bool nackRtx = false; ///< each subscriber NACKs 2 % of packets, answered as RTX
    bool twcc = false;    ///< transport-wide sequence numbers in, feedback out every 100 ms
    bool paced = false;   ///< every copy waits in the subscriber's pacer
};

/// A video packet as `videoPacket`, with a transport-wide sequence number (extension id 3).
std::vector<std::uint8_t> videoPacketWithTwcc(std::uint16_t sequence)
{
    auto packet = videoPacket(sequence);
    packet[15] = 3; // three extension words
    const std::uint8_t element[] = {0x31, static_cast<std::uint8_t>(sequence >> 8), static_cast<std::uint8_t>(sequence), 0};
    packet.insert(packet.begin() + 24, element, element + 4);
    packet.resize(1100);
    return packet;
}

/// The router's own media path (RtpForwarder, RtcpHandler: statistics, packet store, NACK
/// answering, transport-wide feedback, per-subscriber copies) at a given fan-out, on the
/// simulated clock of a 2.5 Mbit/s publisher (1100-byte packets 3.5 ms apart); seconds of CPU
/// per forwarded copy (retransmissions counted as copies too). `allocations` gets the heap
/// allocations made inside the measured loop.
double forwardingCost(int packets, int fanOut, const Mode& mode, UdpSocket& socket, const Endpoint& sink,
                      std::uint64_t& allocations)
{
    SrtpSession publisherOut(SrtpProfile::AeadAes128Gcm, SrtpSession::Direction::Outbound, key(2));
    SendBatch batch(socket.descriptor());
    RouterCounters counters;
    PacketSender sender(batch);
    KeyframeRequester keyframes(sender, counters);
    RtpForwarder forwarder(sender, keyframes, counters);
    RtcpHandler rtcp(sender, forwarder, keyframes, counters);

    Participant publisher;
    publisher.id = "publisher";
    publisher.inbound = std::make_unique<SrtpSession>(SrtpProfile::AeadAes128Gcm, SrtpSession::Direction::Inbound, key(2));
    publisher.outbound = std::make_unique<SrtpSession>(SrtpProfile::AeadAes128Gcm, SrtpSession::Direction::Outbound, key(3));
    publisher.selected = sink;
    if (mode.twcc) {
        publisher.twccExtensionId = 3;
        publisher.twcc = std::make_unique<TwccReceiver>();
    }
    publisher.publications.push_back(std::make_unique<Publication>());
    auto& publication = *publisher.publications.back();
    publication.owner = &publisher;
    publication.video = true;
    publication.payloadType = 96;
    publication.codec = "VP8";
    publication.clockRate = 90000;
    publication.layers.resize(1);
    auto& layer = publication.layers.front();
    layer.ssrc = 0x11223344;
    layer.incoming.emplace(layer.ssrc, 90000u);
    layer.store = std::make_unique<PacketStore>(512, 2'000'000);
    publication.repairLoss = mode.nackRtx;

    std::vector<std::unique_ptr<Participant>> subscribers;
    for (int i = 0; i < fanOut; ++i) {
        auto subscriber = std::make_unique<Participant>();
        subscriber->outbound = std::make_unique<SrtpSession>(SrtpProfile::AeadAes128Gcm, SrtpSession::Direction::Outbound,
                                                             key(static_cast<std::uint8_t>(10 + i)));
        subscriber->selected = sink;
        subscriber->retransmitBudget = 1 << 30;
        if (mode.twcc) {
            // Transport-wide sequence numbers on every copy, remembered for its estimate.
            subscriber->twccSendExtensionId = 3;
            subscriber->estimator = std::make_unique<SendSideEstimator>();
        }
        if (mode.paced) {
            // Below the publisher's 2.5 Mbit/s: the queue never empties, and drains only as
            // fast as its 250 ms limit makes it.
            subscriber->pacer = std::make_unique<Pacer>();
            subscriber->pacer->setRate(2'000'000);
        }
        const auto ssrc = 0x1000u + static_cast<std::uint32_t>(i);
        subscriber->subscriptions.push_back({"1", ssrc, &publication, mode.nackRtx ? ssrc + 0x8000u : 0u});
        OutgoingStream stream{};
        stream.subscriber = subscriber.get();
        stream.ssrc = ssrc;
        stream.payloadType = 96;
        stream.layers.current = 0;
        if (mode.nackRtx) {
            stream.rtxSsrc = ssrc + 0x8000u;
            stream.rtxPayloadType = 97;
        }
        stream.playoutDelayId = 5;
        publication.outgoing.push_back(stream);
        subscribers.push_back(std::move(subscriber));
    }
    // Encrypt the input beforehand: the publisher's work is not the router's.
    std::vector<std::vector<std::uint8_t>> input;
    for (int i = 0; i < packets; ++i) {
        auto packet = mode.twcc ? videoPacketWithTwcc(static_cast<std::uint16_t>(i)) : videoPacket(static_cast<std::uint16_t>(i));
        const auto plain = packet.size();
        packet.resize(plain + kSrtpMaxTrailer);
        packet.resize(publisherOut.protectRtp(packet.data(), plain, packet.size()));
        input.push_back(std::move(packet));
    }
    constexpr std::int64_t kPacketSpacingMicros = 3'500; // 1100 bytes at 2.5 Mbit/s
    constexpr int kNackEvery = 50;                        // 2 % of packets
    constexpr std::int64_t kFeedbackMicros = 100'000;
    std::uint8_t buffer[2048];
    std::uint8_t nackFci[4];
    const auto forwardedBefore = counters.forwarded.read();
    const auto allocationsBefore = g_allocations;
    std::int64_t now = 1'000'000;
    std::int64_t lastFeedback = now;
    constexpr std::int64_t kPacingTickMicros = 5'000;
    std::int64_t lastPacing = now;
    const auto start = cpuSeconds();
    for (int i = 0; i < packets; ++i, now += kPacketSpacingMicros) {
        sender.setTime(now);
        if (mode.paced && now - lastPacing >= kPacingTickMicros) {
            for (auto& subscriber : subscribers)
                forwarder.sendPaced(*subscriber, now);
            lastPacing = now;
        }
        const auto& encrypted = input[static_cast<std::size_t>(i)];
        std::memcpy(buffer, encrypted.data(), encrypted.size()); // the receive buffer
        forwarder.onRtp(publisher, {buffer, encrypted.size()}, now);
        if (mode.nackRtx && i % kNackEvery == kNackEvery - 1) {
            // Each subscriber reports one of the last packets lost (its NACK, already
            // decrypted: the SRTCP cost is the same as for any RTCP it sends).
            const auto lost = static_cast<std::uint16_t>(i - 3);
            nackFci[0] = static_cast<std::uint8_t>(lost >> 8);
            nackFci[1] = static_cast<std::uint8_t>(lost);
            nackFci[2] = nackFci[3] = 0;
            for (auto& subscriber : subscribers)
                forwarder.answerNack(*subscriber, subscriber->subscriptions.front(), nackFci, now);
        }
        if (mode.twcc && now - lastFeedback >= kFeedbackMicros) {
            rtcp.sendTransportFeedback(publisher);
            lastFeedback = now;
        }
        // The router flushes once per received batch of up to 32 datagrams.
        if (batch.pending() >= 32)
            batch.flush();
    }
    // What still waits leaves (it may wait 250 ms at most).
    sender.setTime(now + 1'000'000);
    for (auto& subscriber : subscribers)
        forwarder.sendPaced(*subscriber, now + 1'000'000);
    batch.flush();
    const auto seconds = cpuSeconds() - start;
    allocations = g_allocations - allocationsBefore;
    const auto copies = counters.forwarded.read() - forwardedBefore + counters.retransmitted.read();
    if (copies < static_cast<std::uint64_t>(packets) * static_cast<std::uint64_t>(fanOut)) {
        std::fprintf(stderr, "the router forwarded %llu copies of %d packets to %d subscribers\n",
                     static_cast<unsigned long long>(copies), packets, fanOut);
        std::exit(1);
    }
    return seconds / static_cast<double>(copies);
}

} // namespace

int main(int argc, char** argv)
{
    const int packets = argc > 1 ? std::atoi(argv[1]) : 20000;
    UdpSocket socket("127.0.0.1", 0);
    UdpSocket sinkSocket("127.0.0.1", 0); // never read: the kernel drops what overflows
    const auto sink = sinkEndpoint(sinkSocket.port());

    floorCost(packets / 10, socket, sink); // warm-up
    // Five rounds, floor and fan-outs interleaved; the fastest of each is kept (noise from
    // other processes only ever adds time).
    constexpr int kRounds = 5;
    const int fanOuts[] = {1, 10, 50};
    const Mode modes[] = {{"plain"}, {"nack+rtx", true, false}, {"twcc", false, true}, {"all", true, true},
                          {"paced", false, true, true}};
    constexpr int kModes = static_cast<int>(std::size(modes));
    double floor = 1e9;
    double cost[kModes][3];
    std::uint64_t allocations[kModes][3] = {};
    for (auto& row : cost)
        std::fill(std::begin(row), std::end(row), 1e9);
    for (int round = 0; round < kRounds; ++round) {
        floor = std::min(floor, floorCost(packets, socket, sink));
        for (int m = 0; m < kModes; ++m)
            for (int i = 0; i < 3; ++i) {
                std::uint64_t made = 0;
                cost[m][i] = std::min(cost[m][i], forwardingCost(std::max(400, packets / fanOuts[i]), fanOuts[i],
                                                                 modes[m], socket, sink, made));
                allocations[m][i] = std::max(allocations[m][i], made);
            }
    }
    std::printf("packet: 1100-byte VP8 RTP, AEAD_AES_128_GCM, batched sendmmsg on 127.0.0.1; "
                "fastest of %d rounds\n", kRounds);
    std::printf("floor (srtp_protect + batched send): %6.3f us per copy\n", floor * 1e6);
    for (int m = 0; m < kModes; ++m)
        for (int i = 0; i < 3; ++i)
            std::printf("%-8s fan-out %2d: %6.3f us per forwarded copy, %.2fx the floor, %llu allocations\n",
                        modes[m].name, fanOuts[i], cost[m][i] * 1e6, cost[m][i] / floor,
                        static_cast<unsigned long long>(allocations[m][i]));
    for (const auto& row : allocations)
        for (const auto made : row)
            if (made != 0) {
                std::fprintf(stderr, "the media path allocated on the heap\n");
                return 1;
            }
    return 0;
}
