#include <parley/sip/call_media.h>

#include <parley/router/keyframe_detection.h>
#include <parley/router/packet_kind.h>
#include <parley/router/random_identifiers.h>
#include <parley/router/rtcp_packet.h>
#include <parley/router/rtp_packet.h>

#include <poll.h>

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
#include <utility>

namespace parley::sip {
namespace {

constexpr std::uint8_t kOpusPayloadType = 111; // what the router leg's offer names
constexpr std::uint8_t kVp8PayloadType = 96;
constexpr std::uint8_t kH264PayloadType = 102;
constexpr std::int64_t kFrameMicros = 20'000;
constexpr std::size_t kPacketCapacity = 1500 + router::kSrtpMaxTrailer;
/// How long one voice must be the loudest before the endpoint's picture follows it, and
/// how long a picture stays at least: a cough does not switch it, a conversation does not
/// make it flicker.
constexpr int kSpeakerTicks = 25; // 0.5 s of 20 ms mixes
constexpr std::int64_t kMinShowMicros = 2'000'000;
/// Keyframe requests: again after this long without the keyframe; to the endpoint at most
/// this often (its encoder and a SIP transaction each).
constexpr std::int64_t kKeyframeRetryMicros = 500'000;
constexpr std::int64_t kEndpointKeyframeMicros = 500'000;
/// After a switch, how many packets are checked for being older than the keyframe.
constexpr int kSwitchGuardPackets = 256;
/// A receiver report this long after a rekey has seen what was sent with the new key, if the
/// endpoint took it; without one this long after, the new key stays.
constexpr std::int64_t kRekeyReportAfterMicros = 500'000;
constexpr std::int64_t kRekeyCheckMicros = 15'000'000;

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

CallMedia::CallMedia(const MediaPlan& plan, const CallKeys& local, const std::string& bindAddress,
                     const std::string& announcedAddress, const router::DtlsContext& context, Callbacks callbacks)
    : plan_(plan), callbacks_(std::move(callbacks)), router_(context), downlinkEncoder_(plan.codec),
      uplinkVideo_(90000, static_cast<std::uint16_t>(router::randomSsrc()), router::randomSsrc()),
      downlinkVideo_(90000, static_cast<std::uint16_t>(router::randomSsrc()), router::randomSsrc())
{
    if (plan.codec != AudioCodec::Opus) {
        uplinkDecoder_ = std::make_unique<AudioDecoder>(plan.codec);
        uplinkEncoder_ = std::make_unique<AudioEncoder>(AudioCodec::Opus);
    }
    audio_ = std::make_unique<SdesPort>(bindAddress, plan.remoteAddress, plan.remotePort, plan.remoteCrypto, local.audio);
    local_.address = announcedAddress;
    local_.audioPort = audio_->port();
    if (plan.video && local.video) {
        video_ = std::make_unique<SdesPort>(bindAddress, plan.video->remoteAddress, plan.video->remotePort,
                                            plan.video->remoteCrypto, *local.video);
        local_.videoPort = video_->port();
    }
    meetingSsrc_ = router::randomSsrc();
    endpointSsrc_ = router::randomSsrc();
    meetingVideoSsrc_ = router::randomSsrc();
    endpointVideoSsrc_ = router::randomSsrc();
    // Random starting points, as RFC 3550 asks (any random bits do).
    meetingSequence_ = static_cast<std::uint16_t>(router::randomSsrc());
    endpointSequence_ = static_cast<std::uint16_t>(router::randomSsrc());
    meetingTimestamp_ = router::randomSsrc();
    endpointTimestamp_ = router::randomSsrc();
    sections_.push_back({"0", "", "audio", "", false, 0});
    if (video_)
        sections_.push_back({"1", "", "video", "", !plan.video->sends, 0});
    nextTick_ = steadyMicros() + kFrameMicros;
    thread_ = std::thread(&CallMedia::run, this);
}

CallMedia::~CallMedia()
{
    stopping_ = true;
    thread_.join();
}

std::optional<VideoCodec> CallMedia::videoCodec() const
{
    if (!video_)
        return std::nullopt;
    return plan_.video->codec;
}

CallMediaStats CallMedia::stats() const
{
    CallMediaStats stats;
    stats.endpointPackets = counters_.endpointPackets;
    stats.endpointRejected = audio_->rejected() + (video_ ? video_->rejected() : 0);
    stats.packetsToMeeting = counters_.packetsToMeeting;
    stats.meetingRejected = router_.authenticationFailures();
    stats.packetsToEndpoint = counters_.packetsToEndpoint;
    stats.undecodable = counters_.undecodable;
    stats.digits = counters_.digits;
    stats.rekeys = counters_.rekeys;
    stats.previousKeyPackets = audio_->previousKeyPackets() + (video_ ? video_->previousKeyPackets() : 0);
    stats.videoFromEndpoint = counters_.videoFromEndpoint;
    stats.videoToEndpoint = counters_.videoToEndpoint;
    stats.videoSwitches = counters_.videoSwitches;
    stats.keyframeRequestsFromEndpoint = counters_.keyframeRequestsFromEndpoint;
    stats.keyframeRequestsToEndpoint = counters_.keyframeRequestsToEndpoint;
    stats.rekeysNotTaken = counters_.rekeysNotTaken;
    return stats;
}

RouterOffer CallMedia::routerOffer(const std::vector<WantedTrack>& tracks)
{
    const std::lock_guard lock(mutex_);
    // The tracks the call can take: video only in its own codec (the router passes video
    // through, it does not transcode).
    std::map<std::string, const WantedTrack*> wanted;
    for (const auto& track : tracks)
        if (track.kind == "audio" || (video_ && plan_.video->receives && (track.kind == "video" || track.kind == "screen")))
            wanted.emplace(track.id, &track);
    for (auto& section : sections_)
        if (!section.trackId.empty() && !section.stopped && !wanted.count(section.trackId))
            section.stopped = true;
    for (const auto& entry : wanted) {
        const auto& id = entry.first;
        const auto* track = entry.second;
        if (std::any_of(sections_.begin(), sections_.end(),
                        [&id](const Section& s) { return !s.stopped && s.trackId == id; }))
            continue;
        Section section{std::to_string(nextMid_++), id, track->kind, track->owner, false, 0};
        // A stopped section is reused only for the same kind of media (its m= line stays).
        const bool video = track->kind != "audio";
        const auto free = std::find_if(sections_.begin(), sections_.end(), [video](const Section& s) {
            return s.stopped && !s.trackId.empty() && (s.kind != "audio") == video;
        });
        if (free != sections_.end())
            *free = section;
        else
            sections_.push_back(section);
    }
    const auto videoPt = video_ && plan_.video->codec == VideoCodec::H264 ? kH264PayloadType : kVp8PayloadType;
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
        const bool video = s.kind != "audio";
        sdp << "m=" << (video ? "video " : "audio ") << (s.stopped ? "0" : "9") << " UDP/TLS/RTP/SAVPF "
            << static_cast<unsigned>(video ? videoPt : kOpusPayloadType) << "\r\nc=IN IP4 0.0.0.0\r\na=mid:" << s.mid
            << "\r\na=ice-ufrag:" << router_.iceUfrag() << "\r\na=ice-pwd:" << router_.icePwd()
            << "\r\na=fingerprint:" << router_.fingerprint() << "\r\na=setup:active\r\n"
            << (s.stopped ? "a=inactive" : send ? "a=sendonly" : "a=recvonly") << "\r\na=rtcp-mux\r\n";
        if (!video)
            sdp << "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n";
        else if (videoPt == kVp8PayloadType)
            sdp << "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 ccm fir\r\n";
        else
            sdp << "a=rtpmap:102 H264/90000\r\na=fmtp:102 " << plan_.video->fmtp
                << "\r\na=rtcp-fb:102 nack pli\r\na=rtcp-fb:102 ccm fir\r\n";
        if (send)
            sdp << "a=ssrc:" << (video ? meetingVideoSsrc_ : meetingSsrc_) << " cname:parley-sip\r\n";
        if (s.stopped)
            continue;
        if (send)
            offer.tracks[s.mid] = video ? "video" : "audio";
        else
            offer.subscriptions[s.mid] = s.trackId;
    }
    offer.sdp = sdp.str();
    return offer;
}

void CallMedia::applyRouterAnswer(const std::string& sdp)
{
    const auto parsed = router::parseSdpOffer(sdp);
    const auto answer = router::answerTransport(parsed);
    const std::lock_guard lock(mutex_);
    for (auto& section : sections_) {
        section.routerSsrc = 0;
        for (const auto& media : parsed.media)
            if (media.mid == section.mid && media.port != 0 && !section.stopped && !section.trackId.empty())
                section.routerSsrc = media.primarySsrc;
    }
    sourcesChanged_ = true;
    // Later answers only change which tracks come; the transport stays.
    if (answerPending_ || routerAnswered_)
        return;
    pendingAnswer_ = answer;
    answerPending_ = true;
}

void CallMedia::takeSources()
{
    sourcesChanged_ = false;
    const std::lock_guard lock(mutex_);
    sources_.clear();
    for (const auto& section : sections_)
        if (section.routerSsrc != 0)
            sources_.push_back({section.routerSsrc, section.kind, section.owner});
}

const CallMedia::Source* CallMedia::sourceOf(std::uint32_t ssrc) const
{
    for (const auto& source : sources_)
        if (source.ssrc == ssrc)
            return &source;
    return nullptr;
}

void CallMedia::run()
{
    bool failureReported = false;
    std::int64_t now = steadyMicros();
    const SdesPort::Receive fromAudio = [this, &now](std::span<std::uint8_t> packet, bool rtp) {
        onEndpointAudio(packet, rtp, now);
    };
    const SdesPort::Receive fromVideo = [this, &now](std::span<std::uint8_t> packet, bool rtp) {
        onEndpointVideo(packet, rtp, now);
    };
    const RouterLeg::Receive fromRouter = [this, &now](std::span<std::uint8_t> packet, bool rtcp) {
        onRouterPacket(packet, rtcp, now);
    };
    while (!stopping_) {
        now = steadyMicros();
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
        if (sourcesChanged_)
            takeSources();
        const auto routerNext = router_.service(now);
        if (!router_.failure().empty() && !failureReported) {
            failureReported = true;
            if (callbacks_.failed)
                callbacks_.failed(router_.failure());
        }
        if (now >= nextTick_) {
            tick(now);
            nextTick_ += kFrameMicros;
            if (nextTick_ < now - 5 * kFrameMicros) // far behind (a stall): start again from now
                nextTick_ = now + kFrameMicros;
        }
        const auto wait = std::clamp<std::int64_t>(std::min(nextTick_, routerNext) - steadyMicros(), 0, kFrameMicros);
        pollfd fds[3] = {{audio_->fd(), POLLIN, 0}, {router_.fd(), POLLIN, 0}, {video_ ? video_->fd() : -1, POLLIN, 0}};
        const int ready = ::poll(fds, video_ ? 3 : 2, static_cast<int>((wait + 999) / 1000));
        if (ready <= 0)
            continue;
        now = steadyMicros();
        if (fds[0].revents & POLLIN)
            audio_->onReadable(batch_, fromAudio, now);
        if (fds[1].revents & POLLIN)
            router_.onReadable(batch_, fromRouter);
        if (video_ && (fds[2].revents & POLLIN))
            video_->onReadable(batch_, fromVideo, now);
    }
}

void CallMedia::rekey(const CallKeys& remote, const CallKeys& local, bool checkTaken)
{
    const std::lock_guard lock(mutex_);
    checkRekey_ = checkTaken;
    // Staged on the media thread's behalf: only this thread (under the lock) changes what
    // the next turn takes.
    audio_->stageKeys(remote.audio, local.audio);
    if (video_ && remote.video && local.video)
        video_->stageKeys(*remote.video, *local.video);
    rekeyPending_ = true;
}

void CallMedia::takeNewKeys(std::int64_t now)
{
    const std::lock_guard lock(mutex_);
    rekeyPending_ = false;
    const bool check = checkRekey_ && audio_->keysStaged();
    audio_->takeKeys(now);
    if (video_)
        video_->takeKeys(now);
    // A check under way stays: what the endpoint got since the first switch decides.
    if (check && !rekeyCheck_)
        rekeyCheck_.emplace(now, static_cast<std::uint16_t>(endpointSequence_ - 1));
    ++counters_.rekeys;
}

void CallMedia::onEndpointAudio(std::span<std::uint8_t> packet, bool rtp, std::int64_t now)
{
    if (!rtp)
        return onEndpointReports(packet, now);
    ++counters_.endpointPackets;
    onEndpointRtp(packet);
}

void CallMedia::onEndpointReports(std::span<const std::uint8_t> rtcp, std::int64_t now)
{
    if (!rekeyCheck_)
        return;
    // Not a structured binding: clang (the fuzz build) does not capture those in lambdas.
    const auto since = rekeyCheck_->first;
    const auto lastBefore = rekeyCheck_->second;
    if (now - since < kRekeyReportAfterMicros)
        return;
    std::optional<bool> taken;
    router::forEachRtcp(rtcp, [&](const router::RtcpView& packet) {
        if (packet.type != router::kRtcpSenderReport && packet.type != router::kRtcpReceiverReport)
            return;
        for (std::size_t i = 0; i < packet.count; ++i)
            if (const auto block = router::reportBlock(packet, i); block && block->ssrc == endpointSsrc_)
                taken = static_cast<std::int16_t>(static_cast<std::uint16_t>(block->highestSequence) - lastBefore) > 0;
    });
    if (!taken)
        return;
    rekeyCheck_.reset();
    if (*taken) {
        audio_->keepNewOutbound();
        if (video_)
            video_->keepNewOutbound();
        return;
    }
    // Nothing sent since the switch reached it: it still opens only the old key's packets.
    audio_->revertOutbound();
    if (video_)
        video_->revertOutbound();
    ++counters_.rekeysNotTaken;
    if (callbacks_.rekeyNotTaken)
        callbacks_.rekeyNotTaken();
}

void CallMedia::onEndpointRtp(std::span<std::uint8_t> packet)
{
    router::RtpView view;
    if (!router::parseRtp(packet, view))
        return;
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
    std::array<std::uint8_t, kPacketCapacity> buffer{};
    const auto header =
        router::writeRtpHeader(buffer, marker, kOpusPayloadType, meetingSequence_++, timestamp, meetingSsrc_);
    std::memcpy(buffer.data() + header, payload.data(), payload.size());
    router_.sendRtp(buffer.data(), header + payload.size(), buffer.size());
    ++counters_.packetsToMeeting;
}

void CallMedia::onRouterPacket(std::span<std::uint8_t> packet, bool rtcp, std::int64_t now)
{
    if (rtcp)
        return onRouterRtcp(packet, now);
    router::RtpView view;
    if (!router::parseRtp(packet, view) || view.payloadLength == 0)
        return;
    if (view.payloadType != kOpusPayloadType)
        return onRouterVideo(packet, view, now);
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

void CallMedia::onRouterVideo(std::span<std::uint8_t> packet, const router::RtpView& view, std::int64_t now)
{
    if (!video_ || !plan_.video->receives)
        return;
    const auto payload = std::span<const std::uint8_t>(packet).subspan(view.payloadOffset, view.payloadLength);
    if (view.ssrc == pendingSsrc_ && router::startsKeyframe(videoCodecName(plan_.video->codec), payload)) {
        // The new picture starts here; the old one's packets stop now.
        shownSsrc_ = std::exchange(pendingSsrc_, 0);
        lastSwitch_ = now;
        switchSequence_ = view.sequence;
        afterSwitch_ = 0;
        ++counters_.videoSwitches;
    }
    if (view.ssrc != shownSsrc_ || packet.size() > 1500)
        return;
    // A late packet from before the keyframe would land on a sequence number already sent.
    if (afterSwitch_ < kSwitchGuardPackets) {
        if (static_cast<std::int16_t>(view.sequence - switchSequence_) < 0)
            return;
        ++afterSwitch_;
    }
    const auto mapped = downlinkVideo_.map(view.ssrc, view.sequence, view.timestamp, now);
    std::array<std::uint8_t, kPacketCapacity> buffer{};
    std::memcpy(buffer.data(), packet.data(), packet.size());
    const auto out = std::span<std::uint8_t>(buffer).first(packet.size());
    router::writeRtpPayloadType(out, static_cast<std::uint8_t>(plan_.video->payloadType));
    router::writeRtpSsrc(out, endpointVideoSsrc_);
    router::writeRtpSequence(out, mapped.sequence);
    router::writeRtpTimestamp(out, mapped.timestamp);
    if (video_->sendRtp(buffer.data(), packet.size(), buffer.size()))
        ++counters_.videoToEndpoint;
}

void CallMedia::onRouterRtcp(std::span<const std::uint8_t> packet, std::int64_t now)
{
    // The router asks for a keyframe of what the call publishes: a new viewer, or loss.
    bool wanted = false;
    router::forEachRtcp(packet, [&](const router::RtcpView& rtcp) {
        if (rtcp.type != router::kRtcpPayloadFeedback)
            return;
        if (rtcp.count == 1 && rtcp.mediaSsrc() == meetingVideoSsrc_)
            wanted = true;
        if (rtcp.count == 4 && rtcp.bytes.size() >= 16 && ((std::uint32_t(rtcp.bytes[12]) << 24) |
                                                           (std::uint32_t(rtcp.bytes[13]) << 16) |
                                                           (std::uint32_t(rtcp.bytes[14]) << 8) | rtcp.bytes[15]) ==
                                                              meetingVideoSsrc_)
            wanted = true;
    });
    if (wanted)
        askEndpointForKeyframe(now);
}

void CallMedia::askEndpointForKeyframe(std::int64_t now)
{
    if (!video_ || !plan_.video->sends || (lastAskedEndpoint_ != 0 && now - lastAskedEndpoint_ < kEndpointKeyframeMicros))
        return;
    const bool byRtcp = plan_.video->pli || plan_.video->fir;
    if (byRtcp && endpointSendsSsrc_ == 0)
        return; // its video has not come yet: its first frame is a keyframe anyway
    lastAskedEndpoint_ = now;
    ++counters_.keyframeRequestsToEndpoint;
    if (!byRtcp) {
        // It offered no RTCP feedback: SIP INFO picture_fast_update, what room systems take.
        if (callbacks_.keyframeWanted)
            callbacks_.keyframeWanted();
        return;
    }
    // A compound packet, an empty receiver report first (RFC 3550 6.1; a lone feedback
    // packet needs rtcp-rsize, which Parley does not negotiate).
    std::array<std::uint8_t, 8 + 20 + router::kSrtpMaxTrailer> buffer{};
    auto length = router::writeRtcpReceiverReport(buffer, endpointVideoSsrc_, {});
    const auto feedback = std::span<std::uint8_t>(buffer).subspan(length);
    length += plan_.video->pli ? router::writeRtcpPli(feedback, endpointVideoSsrc_, endpointSendsSsrc_)
                               : router::writeRtcpFir(feedback, endpointVideoSsrc_, endpointSendsSsrc_, firSequence_++);
    video_->sendRtcp(buffer.data(), length, buffer.size());
}

void CallMedia::askMeetingForKeyframe(std::uint32_t ssrc, std::int64_t now)
{
    if (ssrc == 0)
        return;
    std::array<std::uint8_t, 12 + router::kSrtpMaxTrailer> buffer{};
    const auto length = router::writeRtcpPli(buffer, meetingVideoSsrc_, ssrc);
    router_.sendRtcp(buffer.data(), length, buffer.size());
    if (ssrc == pendingSsrc_)
        pendingAskedAt_ = now;
}

void CallMedia::onEndpointVideo(std::span<std::uint8_t> packet, bool rtp, std::int64_t now)
{
    if (!rtp) {
        // A keyframe request of the endpoint's (PLI, RFC 5104 FIR, or RFC 2032's FIR as
        // baresip sends it) is for the picture it sees.
        bool wanted = false;
        router::forEachRtcp(packet, [&](const router::RtcpView& rtcp) {
            if (rtcp.type == router::kRtcpFullIntraRequest ||
                (rtcp.type == router::kRtcpPayloadFeedback && (rtcp.count == 1 || rtcp.count == 4)))
                wanted = true;
        });
        if (wanted) {
            ++counters_.keyframeRequestsFromEndpoint;
            askMeetingForKeyframe(pendingSsrc_ != 0 ? pendingSsrc_ : shownSsrc_, now);
        }
        return;
    }
    router::RtpView view;
    if (!router::parseRtp(packet, view) || view.payloadType != plan_.video->payloadType || !plan_.video->sends ||
        packet.size() > 1500)
        return;
    endpointSendsSsrc_ = view.ssrc;
    const auto mapped = uplinkVideo_.map(view.ssrc, view.sequence, view.timestamp, now);
    std::array<std::uint8_t, kPacketCapacity> buffer{};
    std::memcpy(buffer.data(), packet.data(), packet.size());
    const auto out = std::span<std::uint8_t>(buffer).first(packet.size());
    router::writeRtpPayloadType(out, plan_.video->codec == VideoCodec::H264 ? kH264PayloadType : kVp8PayloadType);
    router::writeRtpSsrc(out, meetingVideoSsrc_);
    router::writeRtpSequence(out, mapped.sequence);
    router::writeRtpTimestamp(out, mapped.timestamp);
    if (router_.connected()) {
        router_.sendRtp(buffer.data(), packet.size(), buffer.size());
        ++counters_.videoFromEndpoint;
    }
}

void CallMedia::chooseVideo(std::int64_t now)
{
    if (keyframeFromMeetingWanted_.exchange(false)) {
        ++counters_.keyframeRequestsFromEndpoint;
        askMeetingForKeyframe(pendingSsrc_ != 0 ? pendingSsrc_ : shownSsrc_, now);
    }
    const Source* shown = sourceOf(shownSsrc_);
    if (!shown)
        shownSsrc_ = 0;
    if (pendingSsrc_ != 0 && !sourceOf(pendingSsrc_))
        pendingSsrc_ = 0;
    // Who speaks: the loudest voice, as the mixer heard it.
    const Source* speaker = nullptr;
    if (const auto loudest = mixer_.loudestLast())
        if (const auto* voice = sourceOf(*loudest))
            speaker = voice;
    if (speaker && (!shown || speaker->owner != shown->owner)) {
        if (candidate_ == speaker->owner)
            ++candidateTicks_;
        else {
            candidate_ = speaker->owner;
            candidateTicks_ = 1;
        }
    } else {
        candidate_.clear();
        candidateTicks_ = 0;
    }
    const Source* wanted = shown;
    const Source* screen = nullptr;
    for (const auto& source : sources_)
        if (source.kind == "screen")
            screen = &source;
    if (screen)
        wanted = screen; // content first, as room systems show it
    else if (!shown || shown->kind == "screen" ||
             (candidateTicks_ >= kSpeakerTicks && now - lastSwitch_ >= kMinShowMicros)) {
        const Source* best = shown && shown->kind != "screen" ? shown : nullptr;
        for (const auto& source : sources_)
            if (source.kind == "video" && (!best || (candidateTicks_ >= kSpeakerTicks && source.owner == candidate_)))
                best = &source;
        wanted = best;
    }
    if (!wanted || wanted->ssrc == shownSsrc_) {
        pendingSsrc_ = 0;
        return;
    }
    if (wanted->ssrc != pendingSsrc_) {
        pendingSsrc_ = wanted->ssrc;
        askMeetingForKeyframe(pendingSsrc_, now);
    } else if (now - pendingAskedAt_ >= kKeyframeRetryMicros) {
        askMeetingForKeyframe(pendingSsrc_, now);
    }
}

void CallMedia::tick(std::int64_t now)
{
    std::array<float, kBridgeFrame> frame{};
    if (prompt_) {
        for (auto& sample : frame)
            sample = promptSample(promptPhase_++);
    } else {
        promptPhase_ = 0;
        mixer_.mix(frame);
    }
    if (video_)
        chooseVideo(now);
    if (rekeyCheck_ && now - rekeyCheck_->first > kRekeyCheckMicros) {
        // No report: an endpoint that sends none keeps the new key.
        rekeyCheck_.reset();
        audio_->keepNewOutbound();
        if (video_)
            video_->keepNewOutbound();
    }
    std::array<std::uint8_t, kPacketCapacity> buffer{};
    const auto header = 12;
    const auto length = downlinkEncoder_.encode(frame, std::span<std::uint8_t>(buffer).subspan(header, 1400));
    const auto timestamp = endpointTimestamp_;
    endpointTimestamp_ += downlinkEncoder_.timestampStep();
    if (length == 0)
        return;
    router::writeRtpHeader(buffer, endpointMarker_, static_cast<std::uint8_t>(plan_.payloadType), endpointSequence_++,
                           timestamp, endpointSsrc_);
    endpointMarker_ = false;
    if (audio_->sendRtp(buffer.data(), header + length, buffer.size()))
        ++counters_.packetsToEndpoint;
}

} // namespace parley::sip
