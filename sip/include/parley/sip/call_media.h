#pragma once

#include <parley/router/rtp_packet.h>
#include <parley/sip/audio_mixer.h>
#include <parley/sip/audio_transcoder.h>
#include <parley/sip/router_leg.h>
#include <parley/sip/rtp_continuity.h>
#include <parley/sip/sdes_port.h>
#include <parley/sip/sdes_crypto.h>
#include <parley/sip/sip_offer.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace parley::sip {

/// A track of the meeting the call may receive, as the roster names it.
struct WantedTrack
{
    std::string id;
    std::string kind;  ///< "audio", "video" or "screen"
    std::string owner; ///< the publishing participant's id
    bool operator==(const WantedTrack&) const = default;
};

/// One round of the call's negotiation with the media router, as the meeting page's
/// `media.offer` carries it (docs/signaling.md): the SDP, the tracks it publishes (mid →
/// "audio" or "video") and the tracks it receives (mid → track id).
struct RouterOffer
{
    std::string sdp;
    std::map<std::string, std::string> tracks;
    std::map<std::string, std::string> subscriptions;
};

/// Counters of one call's media, readable from any thread.
struct CallMediaStats
{
    std::uint64_t endpointPackets = 0;     ///< audio SRTP from the endpoint that authenticated
    std::uint64_t endpointRejected = 0;    ///< from the endpoint, failed SRTP or not RTP
    std::uint64_t packetsToMeeting = 0;    ///< audio RTP sent on to the router
    std::uint64_t meetingRejected = 0;     ///< from the router, failed SRTP
    std::uint64_t packetsToEndpoint = 0;   ///< mixed audio sent to the endpoint
    std::uint64_t undecodable = 0;         ///< payloads a decoder refused
    std::uint64_t digits = 0;              ///< DTMF digits recognised
    std::uint64_t rekeys = 0;              ///< new keys in use
    std::uint64_t previousKeyPackets = 0;  ///< from the endpoint, opened with the key before the last rekey
    std::uint64_t videoFromEndpoint = 0;   ///< video RTP from the endpoint, sent on to the meeting
    std::uint64_t videoToEndpoint = 0;     ///< the meeting's video sent to the endpoint
    std::uint64_t videoSwitches = 0;       ///< times the endpoint's picture changed to another participant
    std::uint64_t keyframeRequestsFromEndpoint = 0; ///< its RTCP PLI/FIR or SIP INFO, passed to the meeting
    std::uint64_t keyframeRequestsToEndpoint = 0;   ///< the meeting's, passed to it by RTCP or SIP INFO
    std::uint64_t rekeysNotTaken = 0; ///< rekeys the endpoint's reports showed it did not take
};

/// The media of one SIP call: the endpoint's SRTP with the SDES keys of the call's SDP on one
/// side, a WebRTC connection to the media router (RouterLeg) on the other, as one meeting
/// participant. Its thread:
/// - sends the endpoint's voice to the meeting: Opus as it is (new SSRC and payload type),
///   G.722 and G.711 decoded and encoded as Opus;
/// - sends the endpoint a mix of the meeting's three loudest voices in its own codec, every
///   20 ms, or the prompt tone while `setPrompt` is on;
/// - recognises RFC 4733 DTMF digits, each once (by event and timestamp: baresip's
///   durations count in its audio clock, not 8 kHz), and reports them;
/// - with video: passes the endpoint's video to the meeting as it is, and shows the endpoint
///   one of the meeting's videos (it can take one): a screen share while there is one, else
///   the participant speaking (the loudest voice for half a second, at most one change in
///   two seconds). A change waits for the new video's keyframe, asked for at once;
///   keyframe requests are passed both ways (the endpoint's RTCP PLI, RFC 5104 FIR, RFC 2032
///   FIR or SIP INFO to the meeting; the meeting's to the endpoint as the rtcp-fb it offered
///   said, PLI or FIR, or by SIP INFO picture_fast_update where it offered neither).
class CallMedia
{
public:
    struct Callbacks
    {
        std::function<void(char digit)> digit;              ///< on the media thread
        std::function<void(const std::string& why)> failed; ///< the router leg gave up
        /// The meeting wants a keyframe of the endpoint, which takes no RTCP request: ask it
        /// by SIP INFO. On the media thread, at most twice a second.
        std::function<void()> keyframeWanted;
        /// The endpoint did not take Parley's new key (see rekey): the call sends with the
        /// one before again, and should not be rekeyed by Parley again. On the media thread.
        std::function<void()> rekeyNotTaken;
    };

    /// Opens the endpoint's UDP ports (audio, and video when `plan` has it) on `bindAddress`
    /// (announced as `announcedAddress`) and starts the thread. `context` (client role) must
    /// outlive it. Throws std::runtime_error when a port cannot be opened or a codec is
    /// missing, router::SrtpError for an unusable key.
    CallMedia(const MediaPlan& plan, const CallKeys& local, const std::string& bindAddress,
              const std::string& announcedAddress, const router::DtlsContext& context, Callbacks callbacks);
    ~CallMedia();
    CallMedia(const CallMedia&) = delete;
    CallMedia& operator=(const CallMedia&) = delete;

    /// Where the endpoint sends its media (for the SDP answer).
    LocalMedia local() const { return local_; }
    bool hasVideo() const { return video_ != nullptr; }
    /// The video codec the call passes, when it has video.
    std::optional<VideoCodec> videoCodec() const;

    /// The next offer to the router: the endpoint's voice (and video), and one receiving
    /// section for each of `tracks` the call can take (audio; video and screens in the call's
    /// video codec when it has video, others are left out). A section whose track is gone is
    /// stopped and later reused, as JSEP recycles m-lines. Any thread.
    RouterOffer routerOffer(const std::vector<WantedTrack>& tracks);
    /// The router's answer to the last offer: the first one connects, each one says which
    /// SSRC each received track comes with. Any thread. Throws router::SdpError when the
    /// answer does not parse or lacks what the connection needs.
    void applyRouterAnswer(const std::string& sdp);
    /// Plays the prompt tone (a PIN is wanted, or the lobby waits) instead of the meeting.
    void setPrompt(bool on) { prompt_ = on; }
    /// New SDES keys (a re-INVITE from either side), for each stream: from the media thread's
    /// next turn the call sends with `local`, and receives with `remote` and, for
    /// kRekeyOverlap more, with the key before it (what the endpoint sent before it switched
    /// is still in flight). A `remote` equal to the key in use keeps its context (a fresh one
    /// would take replays of what it already took). Any thread. Throws router::SrtpError for
    /// an unusable key.
    ///
    /// With `checkTaken` (Parley's own rekey: the endpoint has had the key since the offer,
    /// before the switch), whether the endpoint took Parley's new key shows in its RTCP
    /// receiver reports on the audio stream: a report made half a second or more after the
    /// switch that has not seen a packet sent since means it did not (baresip before 3.12
    /// keeps the key a call began with). Then the call sends with its previous keys again and
    /// rekeyNotTaken is called; an endpoint that sends no reports keeps the new key.
    void rekey(const CallKeys& remote, const CallKeys& local, bool checkTaken = false);
    /// The endpoint asked for a keyframe by SIP INFO: asked of the video it is shown. Any
    /// thread.
    void requestKeyframeFromMeeting() { keyframeFromMeetingWanted_ = true; }

    CallMediaStats stats() const;

private:
    struct Section
    {
        std::string mid;
        std::string trackId; ///< "" for the sections we send on
        std::string kind;    ///< "audio", "video" or "screen"
        std::string owner;
        bool stopped = false;
        std::uint32_t routerSsrc = 0; ///< what the router sends it with, from its answer
    };
    /// A received track as the media thread knows it.
    struct Source
    {
        std::uint32_t ssrc = 0;
        std::string kind;
        std::string owner;
    };

    void run();
    void takeNewKeys(std::int64_t now);
    void takeSources();
    void onEndpointAudio(std::span<std::uint8_t> packet, bool rtp, std::int64_t now);
    /// Reads the endpoint's receiver reports about the audio it is sent, after a rekey.
    void onEndpointReports(std::span<const std::uint8_t> rtcp, std::int64_t now);
    void onEndpointVideo(std::span<std::uint8_t> packet, bool rtp, std::int64_t now);
    void onEndpointRtp(std::span<std::uint8_t> packet);
    void onDigitPacket(std::span<const std::uint8_t> payload, std::uint32_t timestamp);
    void onRouterPacket(std::span<std::uint8_t> packet, bool rtcp, std::int64_t now);
    void onRouterVideo(std::span<std::uint8_t> packet, const router::RtpView& view, std::int64_t now);
    void onRouterRtcp(std::span<const std::uint8_t> packet, std::int64_t now);
    void sendToMeeting(std::span<const std::uint8_t> payload, std::uint32_t timestamp, bool marker);
    void tick(std::int64_t now);
    /// Chooses which video the endpoint sees; asks for the keyframe a change waits for.
    void chooseVideo(std::int64_t now);
    void askMeetingForKeyframe(std::uint32_t ssrc, std::int64_t now);
    void askEndpointForKeyframe(std::int64_t now);
    const Source* sourceOf(std::uint32_t ssrc) const;

    MediaPlan plan_;
    Callbacks callbacks_;
    LocalMedia local_;
    std::unique_ptr<SdesPort> audio_, video_;
    RouterLeg router_;
    router::ReceiveBatch batch_; ///< every socket's reads (recvmmsg), one at a time
    std::unique_ptr<AudioDecoder> uplinkDecoder_; ///< for G.722 and G.711 endpoints
    std::unique_ptr<AudioEncoder> uplinkEncoder_; ///< Opus towards the meeting, for those
    std::vector<float> uplinkSamples_;
    AudioEncoder downlinkEncoder_;
    std::map<std::uint32_t, std::unique_ptr<AudioDecoder>> downlinkDecoders_; ///< by SSRC
    std::vector<float> decoded_;
    AudioMixer mixer_;

    std::uint32_t meetingSsrc_ = 0, endpointSsrc_ = 0;
    std::uint16_t meetingSequence_ = 0, endpointSequence_ = 0;
    std::uint32_t meetingTimestamp_ = 0, endpointTimestamp_ = 0;
    bool endpointMarker_ = true;
    std::int64_t nextTick_ = 0;
    std::uint32_t promptPhase_ = 0;
    std::optional<std::pair<std::uint32_t, std::uint8_t>> lastDigit_; ///< (timestamp, event)
    std::optional<std::uint32_t> timestampOffset_; ///< endpoint's Opus clock → ours

    // Video, on the media thread.
    std::uint32_t meetingVideoSsrc_ = 0, endpointVideoSsrc_ = 0;
    std::uint32_t endpointSendsSsrc_ = 0; ///< the SSRC the endpoint's video came with last
    RtpContinuity uplinkVideo_, downlinkVideo_;
    std::vector<Source> sources_; ///< copied from sections_ when they change
    std::uint32_t shownSsrc_ = 0;   ///< the video the endpoint sees (router SSRC)
    std::uint32_t pendingSsrc_ = 0; ///< the one it will see from its next keyframe
    std::int64_t pendingAskedAt_ = 0, lastSwitch_ = 0, lastAskedEndpoint_ = 0;
    std::string candidate_; ///< a speaker not shown, and for how many ticks they were loudest
    int candidateTicks_ = 0;
    std::uint8_t firSequence_ = 0;
    std::uint16_t switchSequence_ = 0; ///< the shown video's keyframe packet at the switch
    int afterSwitch_ = 0;              ///< packets of it forwarded since
    /// After a switch to Parley's new keys, until a report of the endpoint's says whether it
    /// took them: when, and the last audio sequence number sent before.
    std::optional<std::pair<std::int64_t, std::uint16_t>> rekeyCheck_;

    std::atomic<bool> prompt_{false};
    std::atomic<bool> stopping_{false};
    std::atomic<bool> keyframeFromMeetingWanted_{false};

    mutable std::mutex mutex_; ///< guards what other threads hand over: the sections, answers, keys
    std::vector<Section> sections_;
    int nextMid_ = 2;
    unsigned offerVersion_ = 1;
    std::optional<router::SdpAnswerTransport> pendingAnswer_;
    std::atomic<bool> answerPending_{false};
    std::atomic<bool> sourcesChanged_{false};
    std::atomic<bool> rekeyPending_{false};
    bool checkRekey_ = false; ///< under mutex_: the staged keys are Parley's own rekey
    bool routerAnswered_ = false; ///< under mutex_

    struct Counters
    {
        std::atomic<std::uint64_t> endpointPackets{0}, packetsToMeeting{0}, packetsToEndpoint{0}, undecodable{0},
            digits{0}, rekeys{0}, videoFromEndpoint{0}, videoToEndpoint{0}, videoSwitches{0},
            keyframeRequestsFromEndpoint{0}, keyframeRequestsToEndpoint{0}, rekeysNotTaken{0};
    } counters_;

    std::thread thread_;
};

} // namespace parley::sip
