#include <parley/loadgen/media_endpoint.h>

#include <parley/router/packet_kind.h>
#include <parley/router/random_identifiers.h>
#include <parley/router/rtcp_packet.h>
#include <parley/router/rtp_packet.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace parley::loadgen {
namespace {

constexpr std::int64_t kMillisecond = 1'000'000;
constexpr std::int64_t kPliInterval = 300 * kMillisecond;
constexpr std::int64_t kIdle = 100 * kMillisecond;

} // namespace

void MediaCounters::add(const MediaCounters& o)
{
    videoPacketsSent += o.videoPacketsSent;
    videoBytesSent += o.videoBytesSent;
    audioPacketsSent += o.audioPacketsSent;
    audioBytesSent += o.audioBytesSent;
    videoPacketsReceived += o.videoPacketsReceived;
    videoBytesReceived += o.videoBytesReceived;
    audioPacketsReceived += o.audioPacketsReceived;
    audioBytesReceived += o.audioBytesReceived;
    videoPacketsExpected += o.videoPacketsExpected;
    audioPacketsExpected += o.audioPacketsExpected;
    keyframeRequestsReceived += o.keyframeRequestsReceived;
    keyframesSent += o.keyframesSent;
    keyframeRequestsSent += o.keyframeRequestsSent;
    srtpFailures += o.srtpFailures;
    strayPackets += o.strayPackets;
    ownReceiveDrops += o.ownReceiveDrops;
    ownSendFailures += o.ownSendFailures;
}

void MediaCounters::subtract(const MediaCounters& o)
{
    videoPacketsSent -= o.videoPacketsSent;
    videoBytesSent -= o.videoBytesSent;
    audioPacketsSent -= o.audioPacketsSent;
    audioBytesSent -= o.audioBytesSent;
    videoPacketsReceived -= o.videoPacketsReceived;
    videoBytesReceived -= o.videoBytesReceived;
    audioPacketsReceived -= o.audioPacketsReceived;
    audioBytesReceived -= o.audioBytesReceived;
    videoPacketsExpected -= o.videoPacketsExpected;
    audioPacketsExpected -= o.audioPacketsExpected;
    keyframeRequestsReceived -= o.keyframeRequestsReceived;
    keyframesSent -= o.keyframesSent;
    keyframeRequestsSent -= o.keyframeRequestsSent;
    srtpFailures -= o.srtpFailures;
    strayPackets -= o.strayPackets;
    ownReceiveDrops -= o.ownReceiveDrops;
    ownSendFailures -= o.ownSendFailures;
}

MediaEndpoint::MediaEndpoint(const router::DtlsContext& context, const Media& media, int decryptEvery,
                             LatencyHistograms& latency)
    : media_(media), decryptEvery_(std::max(1, decryptEvery)), latency_(latency),
      client_(context, [this](std::span<const std::uint8_t> datagram) { send(datagram); })
{
    identity_.iceUfrag = client_.iceUfrag();
    identity_.icePwd = client_.icePwd();
    identity_.fingerprint = client_.fingerprint();
    identity_.rtcpSsrc = router::randomSsrc();
    if (media.audio)
        identity_.audioSsrc = router::randomSsrc();
    if (media.video)
        identity_.videoSsrc = router::randomSsrc();
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
        throw std::runtime_error(std::string("cannot open a UDP socket: ") + std::strerror(errno) +
                                 " (raise the limit of open files: ulimit -n)");
    const int on = 1;
    // Arrival times from the kernel, so that our own scheduling does not count as the
    // server's latency; and the kernel's count of drops at this socket, so that our own
    // losses do not count as the server's.
    ::setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    ::setsockopt(fd_, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
    const int buffer = 1 << 20;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    if (media.video)
        video_.emplace(identity_.videoSsrc, 96, media.videoKbps * 1000, media.fps, 1280, 720, media.clip);
    if (media.audio)
        audio_.emplace(identity_.audioSsrc, 111, media.audioKbps * 1000, media.clip);
}

MediaEndpoint::~MediaEndpoint()
{
    if (fd_ >= 0)
        ::close(fd_);
}

void MediaEndpoint::fail(const std::string& why)
{
    if (!failed_) {
        failed_ = true;
        failure_ = why;
    }
}

void MediaEndpoint::apply(const AnswerPlan& plan, std::int64_t now)
{
    if (!client_.started()) {
        const auto& router = plan.router;
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(static_cast<std::uint16_t>(router.port));
        if (inet_pton(AF_INET, router.address.c_str(), &to.sin_addr) != 1)
            return fail("the answer's candidate address " + router.address + " is not IPv4");
        if (::connect(fd_, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0)
            return fail("cannot reach the router at " + router.address + ": " + std::strerror(errno));
        client_.start(router, now / 1000);
    }
    for (auto& stream : streams_)
        stream.active = std::any_of(plan.receives.begin(), plan.receives.end(),
                                    [&](const AnswerPlan::Receive& r) { return r.ssrc == stream.ssrc; });
    for (const auto& receive : plan.receives) {
        if (std::any_of(streams_.begin(), streams_.end(), [&](const ReceiveStream& s) { return s.ssrc == receive.ssrc; }))
            continue;
        ReceiveStream stream;
        stream.ssrc = receive.ssrc;
        stream.video = receive.video;
        stream.since = receive.since;
        streams_.push_back(stream);
    }
}

void MediaEndpoint::send(std::span<const std::uint8_t> datagram)
{
    if (::send(fd_, datagram.data(), datagram.size(), 0) < 0)
        ++counters_.ownSendFailures;
}

std::int64_t MediaEndpoint::service(std::int64_t now, std::span<OutgoingPacket> scratch)
{
    if (!client_.started() || failed_)
        return now + kIdle;
    // The client counts in µs, the load generator in ns.
    const std::int64_t next = client_.service(now / 1000) * 1000;
    if (!client_.failure().empty())
        fail(client_.failure());
    if (!client_.connected())
        return next;
    if (!connected_) {
        nextVideo_ = nextAudio_ = now;
        connected_ = true;
    }
    return std::min(next, sendMedia(now, scratch));
}

void MediaEndpoint::sendBatch(std::span<OutgoingPacket> packets, std::size_t count)
{
    mmsghdr messages[SyntheticVideo::kMaxPacketsPerFrame];
    iovec vectors[SyntheticVideo::kMaxPacketsPerFrame];
    std::size_t ready = 0;
    for (std::size_t i = 0; i < count && ready < SyntheticVideo::kMaxPacketsPerFrame; ++i) {
        auto& packet = packets[i];
        const auto length = client_.outbound()->protectRtp(packet.bytes.data(), packet.length, packet.bytes.size());
        if (length == 0) {
            ++counters_.ownSendFailures;
            continue;
        }
        vectors[ready] = {packet.bytes.data(), length};
        messages[ready] = {};
        messages[ready].msg_hdr.msg_iov = &vectors[ready];
        messages[ready].msg_hdr.msg_iovlen = 1;
        ++ready;
    }
    std::size_t sent = 0;
    while (sent < ready) {
        const int result = ::sendmmsg(fd_, messages + sent, static_cast<unsigned>(ready - sent), 0);
        if (result <= 0)
            break;
        sent += static_cast<std::size_t>(result);
    }
    counters_.ownSendFailures += ready - sent;
}

std::int64_t MediaEndpoint::sendMedia(std::int64_t now, std::span<OutgoingPacket> scratch)
{
    std::int64_t next = now + kIdle;
    if (video_) {
        if (now >= nextVideo_) {
            const auto before = video_->keyframesSent();
            const auto count = video_->nextFrame(scratch, wallClockNanoseconds());
            for (std::size_t i = 0; i < count; ++i) {
                ++counters_.videoPacketsSent;
                counters_.videoBytesSent += scratch[i].length;
            }
            counters_.keyframesSent += video_->keyframesSent() - before;
            sendBatch(scratch, count);
            // After a stall (the machine was busy) the stream goes on at its rate rather than
            // bursting out the frames it missed, as a camera would.
            nextVideo_ = std::max(nextVideo_ + video_->frameInterval().count(), now);
        }
        next = std::min(next, nextVideo_);
    }
    if (audio_) {
        if (now >= nextAudio_) {
            audio_->nextPacket(scratch[0], wallClockNanoseconds());
            ++counters_.audioPacketsSent;
            counters_.audioBytesSent += scratch[0].length;
            sendBatch(scratch, 1);
            nextAudio_ = std::max(nextAudio_ + std::chrono::nanoseconds(SyntheticAudio::kPacketInterval).count(), now);
        }
        next = std::min(next, nextAudio_);
    }
    return next;
}

void MediaEndpoint::receive(std::span<std::uint8_t> datagram, std::int64_t arrival, std::uint32_t socketDrops)
{
    if (socketDrops != socketDrops_) {
        counters_.ownReceiveDrops += static_cast<std::uint32_t>(socketDrops - socketDrops_);
        socketDrops_ = socketDrops;
    }
    switch (router::classify(datagram)) {
    case router::PacketKind::Stun:
        client_.onStun(datagram, steadyNanoseconds() / 1000);
        return;
    case router::PacketKind::Dtls:
        client_.onDtls(datagram);
        return;
    case router::PacketKind::Rtp:
        return onRtp(datagram, arrival);
    case router::PacketKind::Rtcp:
        return onRtcp(datagram);
    case router::PacketKind::Unknown:
        ++counters_.strayPackets;
        return;
    }
}

void MediaEndpoint::onRtp(std::span<std::uint8_t> datagram, std::int64_t arrival)
{
    router::RtpView header;
    if (!client_.connected() || !router::parseRtp(datagram, header)) {
        ++counters_.strayPackets;
        return;
    }
    const auto found = std::find_if(streams_.begin(), streams_.end(),
                                    [&](const ReceiveStream& s) { return s.ssrc == header.ssrc; });
    if (found == streams_.end() || !found->active) {
        ++counters_.strayPackets;
        return;
    }
    auto& stream = *found;
    // The header is not encrypted: sequence numbers count every packet without decrypting.
    std::uint64_t extended = 0;
    if (!stream.started) {
        extended = std::uint64_t(1) << 16 | header.sequence;
    } else {
        const auto delta = static_cast<std::int16_t>(header.sequence - static_cast<std::uint16_t>(stream.highest));
        extended = stream.highest + static_cast<std::uint64_t>(static_cast<std::int64_t>(delta));
    }
    if (measuring_ && !stream.windowStarted) {
        stream.windowStarted = true;
        stream.windowHighest = extended - 1;
        stream.windowReceived = stream.received;
    }
    stream.started = true;
    stream.highest = std::max(stream.highest, extended);
    ++stream.received;
    if (stream.video) {
        ++counters_.videoPacketsReceived;
        counters_.videoBytesReceived += datagram.size();
    } else {
        ++counters_.audioPacketsReceived;
        counters_.audioBytesReceived += datagram.size();
    }

    // Decrypted for their send time: one packet in decryptEvery_ (of a clip's video, where
    // only a frame's last packet has it: every last packet), and every packet until a
    // stream's first keyframe is whole.
    const bool awaitingKeyframe = stream.video && stream.keyframe != ReceiveStream::Keyframe::Done;
    if (!awaitingKeyframe) {
        if (stream.video && media_.clip ? !header.marker : ++stream.sinceDecrypt < static_cast<std::uint64_t>(decryptEvery_))
            return;
        stream.sinceDecrypt = 0;
    }
    const auto plainLength = client_.inbound()->unprotectRtp(datagram.data(), datagram.size());
    if (plainLength == 0) {
        ++counters_.srtpFailures;
        return;
    }
    router::RtpView plain;
    if (!router::parseRtp(datagram.first(plainLength), plain)) {
        ++counters_.strayPackets;
        return;
    }
    const auto payload = datagram.subspan(plain.payloadOffset, plain.payloadLength);
    if (const auto sent = readSendTime(payload)) {
        auto& histogram = stream.video ? latency_.video : latency_.audio;
        histogram.record((arrival - *sent) / 1000);
    }
    if (!awaitingKeyframe)
        return;
    using Keyframe = ReceiveStream::Keyframe;
    if (stream.keyframe == Keyframe::Waiting) {
        if (!startsVp8Keyframe(payload)) {
            // Pictures it cannot decode (the keyframe went by before its media was up): ask
            // for one, as a browser's decoder does.
            requestKeyframe(stream, arrival);
            return;
        }
        stream.keyframe = Keyframe::Assembling;
    } else if (header.sequence != stream.nextSequence) {
        // A packet of the keyframe was lost (we ask for no resends): ask for another, as a
        // browser would, and wait for its start.
        stream.keyframe = Keyframe::Waiting;
        requestKeyframe(stream, arrival);
        if (!startsVp8Keyframe(payload))
            return;
        stream.keyframe = Keyframe::Assembling;
    }
    stream.nextSequence = static_cast<std::uint16_t>(header.sequence + 1);
    if (header.marker) {
        stream.keyframe = Keyframe::Done;
        stream.keyframeMs = static_cast<double>(arrival - stream.since) / 1e6;
    }
}

void MediaEndpoint::requestKeyframe(ReceiveStream& stream, std::int64_t now)
{
    if (now - stream.lastPli < kPliInterval || !client_.connected())
        return;
    stream.lastPli = now;
    std::uint8_t packet[64];
    const auto length = router::writeRtcpPli({packet, sizeof packet}, identity_.rtcpSsrc, stream.ssrc);
    const auto protectedLength = client_.outbound()->protectRtcp(packet, length, sizeof packet);
    if (protectedLength == 0)
        return;
    send({packet, protectedLength});
    ++counters_.keyframeRequestsSent;
}

void MediaEndpoint::onRtcp(std::span<std::uint8_t> datagram)
{
    if (!client_.connected())
        return;
    const auto length = client_.inbound()->unprotectRtcp(datagram.data(), datagram.size());
    if (length == 0) {
        ++counters_.srtpFailures;
        return;
    }
    router::forEachRtcp(datagram.first(length), [&](const router::RtcpView& packet) {
        // PSFB FMT 1 (PLI) names our SSRC at byte 8; FMT 4 (FIR) in its entries.
        if (packet.type == router::kRtcpPayloadFeedback && (packet.count == 1 || packet.count == 4) && video_) {
            ++counters_.keyframeRequestsReceived;
            video_->requestKeyframe();
        }
    });
}

void MediaEndpoint::beginWindow()
{
    measuring_ = true;
    windowStart_ = counters_;
    for (auto& stream : streams_) {
        stream.windowStarted = stream.started;
        stream.windowHighest = stream.highest;
        stream.windowReceived = stream.received;
    }
}

void MediaEndpoint::endWindow(MediaCounters& into) const
{
    MediaCounters window = counters_;
    window.subtract(windowStart_);
    // Loss from each stream's own count, so that a packet on its way as the window closes
    // is neither expected nor received.
    window.videoPacketsExpected = window.audioPacketsExpected = 0;
    std::uint64_t videoReceived = 0, audioReceived = 0;
    for (const auto& stream : streams_) {
        if (!stream.windowStarted)
            continue;
        (stream.video ? window.videoPacketsExpected : window.audioPacketsExpected) += stream.highest - stream.windowHighest;
        (stream.video ? videoReceived : audioReceived) += stream.received - stream.windowReceived;
    }
    window.videoPacketsReceived = videoReceived;
    window.audioPacketsReceived = audioReceived;
    into.add(window);
}

void MediaEndpoint::keyframeTimes(std::vector<double>& into, int& videoStreams) const
{
    for (const auto& stream : streams_) {
        if (!stream.video)
            continue;
        ++videoStreams;
        if (stream.keyframeMs >= 0)
            into.push_back(stream.keyframeMs);
    }
}

} // namespace parley::loadgen
