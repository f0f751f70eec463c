#include <parley/sip/call_media.h>

#include <parley/router/packet_kind.h>
#include <parley/router/random_identifiers.h>
#include <parley/router/rtp_packet.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numbers>
#include <set>
#include <sstream>
#include <stdexcept>

namespace parley::sip {
namespace {

constexpr std::uint8_t kOpusPayloadType = 111; // what the router leg's offer names
constexpr std::int64_t kFrameMicros = 20'000;

std::int64_t steadyMicros()
{
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

/// The prompt: two short 440 Hz beeps every 2 s, quiet enough not to startle.
float promptSample(std::uint32_t index)
{
    const auto inCycle = index % (kBridgeRate * 2);
    const bool on = inCycle < kBridgeRate / 5 || (inCycle >= kBridgeRate * 3 / 10 && inCycle < kBridgeRate / 2);
    if (!on)
        return 0.0f;
    return 0.25f * static_cast<float>(std::sin(2 * std::numbers::pi * 440.0 * index / kBridgeRate));
}

constexpr char kDigits[] = "0123456789*#ABCD";

} // namespace

CallMedia::CallMedia(const MediaPlan& plan, const CryptoAttribute& localCrypto, const std::string& bindAddress,
                     const std::string& announcedAddress, const router::DtlsContext& context, Callbacks callbacks)
    : plan_(plan), callbacks_(std::move(callbacks)), router_(context),
      downlinkEncoder_(plan.codec)
{
    if (plan.codec != AudioCodec::Opus) {
        uplinkDecoder_ = std::make_unique<AudioDecoder>(plan.codec);
        uplinkEncoder_ = std::make_unique<AudioEncoder>(AudioCodec::Opus);
    }
    fromEndpoint_ = std::make_unique<router::SrtpSession>(plan.remoteCrypto.suite, router::SrtpSession::Direction::Inbound,
                                                          plan.remoteCrypto.key.bytes());
    remoteCrypto_ = plan.remoteCrypto;
    toEndpoint_ = std::make_unique<router::SrtpSession>(localCrypto.suite, router::SrtpSession::Direction::Outbound,
                                                        localCrypto.key.bytes());
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
        throw std::runtime_error(std::string("cannot open a UDP socket for a SIP call: ") + std::strerror(errno));
    sockaddr_in bound{};
    bound.sin_family = AF_INET;
    if (inet_pton(AF_INET, bindAddress.c_str(), &bound.sin_addr) != 1 ||
        ::bind(fd_, reinterpret_cast<const sockaddr*>(&bound), sizeof bound) != 0) {
        const std::string why = std::strerror(errno);
        ::close(fd_);
        throw std::runtime_error("cannot open a UDP port on " + bindAddress + " for a SIP call's media: " + why);
    }
    socklen_t length = sizeof bound;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &length);
    local_.address = announcedAddress;
    local_.audioPort = ntohs(bound.sin_port);

    sockaddr_in remote{};
    remote.sin_family = AF_INET;
    remote.sin_port = htons(plan.remotePort);
    if (plan.remotePort != 0 && inet_pton(AF_INET, plan.remoteAddress.c_str(), &remote.sin_addr) == 1 &&
        remote.sin_addr.s_addr != 0) {
        std::memcpy(&endpointAddress_, &remote, sizeof remote);
        endpointAddressLength_ = sizeof remote;
    }
    meetingSsrc_ = router::randomSsrc();
    endpointSsrc_ = router::randomSsrc();
    // Random starting points, as RFC 3550 asks (any random bits do).
    meetingSequence_ = static_cast<std::uint16_t>(router::randomSsrc());
    endpointSequence_ = static_cast<std::uint16_t>(router::randomSsrc());
    meetingTimestamp_ = router::randomSsrc();
    endpointTimestamp_ = router::randomSsrc();
    sections_.push_back({"0", "", false});
    nextTick_ = steadyMicros() + kFrameMicros;
    thread_ = std::thread(&CallMedia::run, this);
}

CallMedia::~CallMedia()
{
    stopping_ = true;
    thread_.join();
    ::close(fd_);
}

CallMediaStats CallMedia::stats() const
{
    CallMediaStats stats;
    stats.endpointPackets = counters_.endpointPackets;
    stats.endpointRejected = counters_.endpointRejected;
    stats.packetsToMeeting = counters_.packetsToMeeting;
    stats.meetingRejected = router_.authenticationFailures();
    stats.packetsToEndpoint = counters_.packetsToEndpoint;
    stats.undecodable = counters_.undecodable;
    stats.digits = counters_.digits;
    stats.rekeys = counters_.rekeys;
    stats.previousKeyPackets = counters_.previousKeyPackets;
    return stats;
}

RouterOffer CallMedia::routerOffer(const std::vector<std::string>& audioTracks)
{
    const std::lock_guard lock(mutex_);
    const std::set<std::string> wanted(audioTracks.begin(), audioTracks.end());
    for (auto& section : sections_)
        if (!section.trackId.empty() && !section.stopped && !wanted.count(section.trackId))
            section.stopped = true;
    for (const auto& track : wanted) {
        if (std::any_of(sections_.begin(), sections_.end(),
                        [&](const Section& s) { return !s.stopped && s.trackId == track; }))
            continue;
        Section section{std::to_string(nextMid_++), track, false};
        const auto free = std::find_if(sections_.begin(), sections_.end(), [](const Section& s) { return s.stopped; });
        if (free != sections_.end())
            *free = section;
        else
            sections_.push_back(section);
    }
    RouterOffer offer;
    std::ostringstream sdp;
    sdp << "v=0\r\no=- " << (meetingSsrc_ | 1u) << ' ' << offerVersion_++ << " IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        << "a=group:BUNDLE";
    for (const auto& s : sections_)
        if (!s.stopped)
            sdp << ' ' << s.mid;
    sdp << "\r\n";
    for (const auto& s : sections_) {
        const bool send = s.trackId.empty();
        sdp << "m=audio " << (s.stopped ? "0" : "9") << " UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:" << s.mid
            << "\r\na=ice-ufrag:" << router_.iceUfrag() << "\r\na=ice-pwd:" << router_.icePwd()
            << "\r\na=fingerprint:" << router_.fingerprint() << "\r\na=setup:active\r\n"
            << (s.stopped ? "a=inactive" : send ? "a=sendonly" : "a=recvonly")
            << "\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n";
        if (send)
            sdp << "a=ssrc:" << meetingSsrc_ << " cname:parley-sip\r\n";
        if (s.stopped)
            continue;
        if (send)
            offer.tracks[s.mid] = "audio";
        else
            offer.subscriptions[s.mid] = s.trackId;
    }
    offer.sdp = sdp.str();
    return offer;
}

void CallMedia::applyRouterAnswer(const std::string& sdp)
{
    const auto answer = router::answerTransport(router::parseSdpOffer(sdp));
    const std::lock_guard lock(mutex_);
    // Later answers only change which tracks come; the transport stays.
    if (answerPending_ || routerAnswered_)
        return;
    pendingAnswer_ = answer;
    answerPending_ = true;
}

void CallMedia::run()
{
    bool failureReported = false;
    while (!stopping_) {
        auto now = steadyMicros();
        if (answerPending_) {
            std::optional<router::SdpAnswerTransport> answer;
            {
                const std::lock_guard lock(mutex_);
                answer.swap(pendingAnswer_);
                answerPending_ = false;
                routerAnswered_ = true;
            }
            try {
                router_.connect(*answer, now);
            } catch (const std::runtime_error& e) {
                if (callbacks_.failed)
                    callbacks_.failed(e.what());
                failureReported = true;
            }
        }
        if (rekeyPending_)
            takeNewKeys(now);
        const auto routerNext = router_.service(now);
        if (!router_.failure().empty() && !failureReported) {
            failureReported = true;
            if (callbacks_.failed)
                callbacks_.failed(router_.failure());
        }
        if (now >= nextTick_) {
            tick();
            nextTick_ += kFrameMicros;
            if (nextTick_ < now - 5 * kFrameMicros) // far behind (a stall): start again from now
                nextTick_ = now + kFrameMicros;
        }
        const auto wait = std::clamp<std::int64_t>(std::min(nextTick_, routerNext) - steadyMicros(), 0, kFrameMicros);
        pollfd fds[2] = {{fd_, POLLIN, 0}, {router_.fd(), POLLIN, 0}};
        const int ready = ::poll(fds, 2, static_cast<int>((wait + 999) / 1000));
        if (ready <= 0)
            continue;
        if (fds[0].revents & POLLIN)
            onEndpointReadable();
        if (fds[1].revents & POLLIN)
            router_.onReadable(batch_,
                               [this](std::span<std::uint8_t> packet, bool rtcp) { onRouterPacket(packet, rtcp); });
    }
}

void CallMedia::onEndpointReadable()
{
    // A full batch may leave more behind: read again until one comes back short.
    for (std::size_t count = router::ReceiveBatch::kSlots; count == router::ReceiveBatch::kSlots;) {
        count = batch_.receive(fd_);
        for (std::size_t i = 0; i < count; ++i)
            onEndpointDatagram(batch_.datagram(i), batch_.address(i), batch_.addressLength(i));
    }
}

void CallMedia::rekey(const CryptoAttribute& remote, const CryptoAttribute& local)
{
    auto to = std::make_unique<router::SrtpSession>(local.suite, router::SrtpSession::Direction::Outbound,
                                                    local.key.bytes());
    const std::lock_guard lock(mutex_);
    // Compared on the media thread's behalf: only this thread (under the lock) changes what
    // the next turn takes, and remoteCrypto_ is read there only under it too.
    const auto& latest = newRemoteCrypto_ ? *newRemoteCrypto_ : remoteCrypto_;
    if (!(remote.key == latest.key) || remote.suite != latest.suite) {
        newFromEndpoint_ = std::make_unique<router::SrtpSession>(remote.suite, router::SrtpSession::Direction::Inbound,
                                                                 remote.key.bytes());
        newRemoteCrypto_ = remote;
    }
    newToEndpoint_ = std::move(to);
    rekeyPending_ = true;
}

void CallMedia::takeNewKeys(std::int64_t now)
{
    const std::lock_guard lock(mutex_);
    rekeyPending_ = false;
    if (newFromEndpoint_) {
        previousFromEndpoint_ = std::move(fromEndpoint_);
        fromEndpoint_ = std::move(newFromEndpoint_);
        remoteCrypto_ = std::move(*newRemoteCrypto_);
        newRemoteCrypto_.reset();
        previousUntil_ = now + std::chrono::duration_cast<std::chrono::microseconds>(kRekeyOverlap).count();
    }
    if (newToEndpoint_)
        toEndpoint_ = std::move(newToEndpoint_);
    ++counters_.rekeys;
}

std::size_t CallMedia::unprotectFromEndpoint(std::span<std::uint8_t> datagram, bool rtp)
{
    if (previousFromEndpoint_ && steadyMicros() >= previousUntil_)
        previousFromEndpoint_.reset();
    const bool second = previousFromEndpoint_ && datagram.size() <= trialCopy_.size();
    if (second)
        std::memcpy(trialCopy_.data(), datagram.data(), datagram.size());
    const auto open = [&](router::SrtpSession& session) {
        return rtp ? session.unprotectRtp(datagram.data(), datagram.size())
                   : session.unprotectRtcp(datagram.data(), datagram.size());
    };
    if (const auto plain = open(*fromEndpoint_); plain > 0 || !second)
        return plain;
    std::memcpy(datagram.data(), trialCopy_.data(), datagram.size());
    const auto plain = open(*previousFromEndpoint_);
    if (plain > 0)
        ++counters_.previousKeyPackets;
    return plain;
}

void CallMedia::onEndpointDatagram(std::span<std::uint8_t> datagram, const sockaddr_storage& from,
                                   socklen_t fromLength)
{
    const auto kind = router::classify(datagram);
    std::size_t plain = 0;
    if (kind == router::PacketKind::Rtp || kind == router::PacketKind::Rtcp)
        plain = unprotectFromEndpoint(datagram, kind == router::PacketKind::Rtp);
    if (plain == 0) {
        ++counters_.endpointRejected;
        return;
    }
    // Only a packet with the call's key may move where we send: nobody else can steer the
    // call's media.
    if (fromLength != endpointAddressLength_ || std::memcmp(&from, &endpointAddress_, fromLength) != 0) {
        endpointAddress_ = from;
        endpointAddressLength_ = fromLength;
    }
    if (kind == router::PacketKind::Rtp) {
        ++counters_.endpointPackets;
        onEndpointRtp(datagram.first(plain));
    }
}

void CallMedia::onEndpointRtp(std::span<std::uint8_t> packet)
{
    router::RtpView view;
    if (!router::parseRtp(packet, view)) {
        ++counters_.endpointRejected;
        return;
    }
    const auto payload = std::span<const std::uint8_t>(packet).subspan(view.payloadOffset, view.payloadLength);
    if (plan_.telephoneEvent && view.payloadType == *plan_.telephoneEvent) {
        onDigitPacket(payload, view.timestamp);
        return;
    }
    if (view.payloadType != plan_.payloadType || payload.empty())
        return;
    if (!uplinkDecoder_) {
        // Opus goes on as it came, on the endpoint's own clock.
        if (!timestampOffset_)
            timestampOffset_ = meetingTimestamp_ - view.timestamp;
        sendToMeeting(payload, view.timestamp + *timestampOffset_, view.marker);
        return;
    }
    if (!uplinkDecoder_->decode(payload, uplinkSamples_)) {
        ++counters_.undecodable;
        return;
    }
    std::array<std::uint8_t, 1500> opus{};
    std::size_t used = 0;
    while (uplinkSamples_.size() - used >= kBridgeFrame) {
        const auto length =
            uplinkEncoder_->encode(std::span<const float>(uplinkSamples_).subspan(used, kBridgeFrame), opus);
        used += kBridgeFrame;
        if (length > 0)
            sendToMeeting({opus.data(), length}, meetingTimestamp_, false);
        meetingTimestamp_ += static_cast<std::uint32_t>(kBridgeFrame);
    }
    uplinkSamples_.erase(uplinkSamples_.begin(), uplinkSamples_.begin() + static_cast<std::ptrdiff_t>(used));
}

void CallMedia::onDigitPacket(std::span<const std::uint8_t> payload, std::uint32_t timestamp)
{
    if (payload.size() < 4 || payload[0] > 15)
        return;
    // Every packet of one key press carries the press's start as its timestamp; the end
    // packet comes three times. A new (timestamp, event) is a new press.
    const std::pair<std::uint32_t, std::uint8_t> press{timestamp, payload[0]};
    if (lastDigit_ == press)
        return;
    lastDigit_ = press;
    ++counters_.digits;
    if (callbacks_.digit)
        callbacks_.digit(kDigits[payload[0]]);
}

void CallMedia::sendToMeeting(std::span<const std::uint8_t> payload, std::uint32_t timestamp, bool marker)
{
    if (!router_.connected() || payload.size() > 1400)
        return;
    std::array<std::uint8_t, 1500 + router::kSrtpMaxTrailer> buffer{};
    const auto header =
        router::writeRtpHeader(buffer, marker, kOpusPayloadType, meetingSequence_++, timestamp, meetingSsrc_);
    std::memcpy(buffer.data() + header, payload.data(), payload.size());
    router_.sendRtp(buffer.data(), header + payload.size(), buffer.size());
    ++counters_.packetsToMeeting;
}

void CallMedia::onRouterPacket(std::span<std::uint8_t> packet, bool rtcp)
{
    if (rtcp)
        return;
    router::RtpView view;
    if (!router::parseRtp(packet, view) || view.payloadType != kOpusPayloadType || view.payloadLength == 0)
        return;
    auto decoder = downlinkDecoders_.find(view.ssrc);
    if (decoder == downlinkDecoders_.end()) {
        if (downlinkDecoders_.size() >= AudioMixer::kMaxSources) { // voices come and go: start afresh
            for (const auto& [ssrc, unused] : downlinkDecoders_)
                mixer_.forget(ssrc);
            downlinkDecoders_.clear();
        }
        decoder = downlinkDecoders_.emplace(view.ssrc, std::make_unique<AudioDecoder>(AudioCodec::Opus)).first;
    }
    decoded_.clear();
    if (!decoder->second->decode(std::span<const std::uint8_t>(packet).subspan(view.payloadOffset, view.payloadLength),
                                 decoded_)) {
        ++counters_.undecodable;
        return;
    }
    mixer_.push(view.ssrc, decoded_);
}

void CallMedia::tick()
{
    std::array<float, kBridgeFrame> frame{};
    if (prompt_) {
        for (auto& sample : frame)
            sample = promptSample(promptPhase_++);
    } else {
        promptPhase_ = 0;
        mixer_.mix(frame);
    }
    std::array<std::uint8_t, 1500 + router::kSrtpMaxTrailer> buffer{};
    const auto header = 12;
    const auto length = downlinkEncoder_.encode(frame, std::span<std::uint8_t>(buffer).subspan(header, 1400));
    const auto timestamp = endpointTimestamp_;
    endpointTimestamp_ += downlinkEncoder_.timestampStep();
    if (length == 0 || endpointAddressLength_ == 0)
        return;
    router::writeRtpHeader(buffer, endpointMarker_, static_cast<std::uint8_t>(plan_.payloadType), endpointSequence_++,
                           timestamp, endpointSsrc_);
    endpointMarker_ = false;
    sendToEndpoint(buffer.data(), header + length);
}

void CallMedia::sendToEndpoint(std::uint8_t* buffer, std::size_t length)
{
    const auto protectedLength = toEndpoint_->protectRtp(buffer, length, 1500 + router::kSrtpMaxTrailer);
    if (protectedLength == 0)
        return;
    if (::sendto(fd_, buffer, protectedLength, 0, reinterpret_cast<const sockaddr*>(&endpointAddress_),
                 endpointAddressLength_) > 0)
        ++counters_.packetsToEndpoint;
}

} // namespace parley::sip
