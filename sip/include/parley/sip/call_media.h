#pragma once

#include <parley/sip/audio_mixer.h>
#include <parley/sip/audio_transcoder.h>
#include <parley/sip/router_leg.h>
#include <parley/sip/sdes_crypto.h>
#include <parley/sip/sip_offer.h>

#include <sys/socket.h>

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

/// One round of the call's negotiation with the media router, as the meeting page's
/// `media.offer` carries it (docs/signaling.md): the SDP, the track it publishes (mid →
/// "audio") and the tracks it receives (mid → track id).
struct RouterOffer
{
    std::string sdp;
    std::map<std::string, std::string> tracks;
    std::map<std::string, std::string> subscriptions;
};

/// After a rekey, how long packets with the endpoint's previous key are still taken.
inline constexpr std::chrono::seconds kRekeyOverlap{5};

/// Counters of one call's media, readable from any thread.
struct CallMediaStats
{
    std::uint64_t endpointPackets = 0;     ///< SRTP from the endpoint that authenticated
    std::uint64_t endpointRejected = 0;    ///< from the endpoint, failed SRTP or not RTP
    std::uint64_t packetsToMeeting = 0;    ///< RTP sent on to the router
    std::uint64_t meetingRejected = 0;     ///< from the router, failed SRTP
    std::uint64_t packetsToEndpoint = 0;   ///< mixed audio sent to the endpoint
    std::uint64_t undecodable = 0;         ///< payloads a decoder refused
    std::uint64_t digits = 0;              ///< DTMF digits recognised
    std::uint64_t rekeys = 0;              ///< new keys in use
    std::uint64_t previousKeyPackets = 0;  ///< from the endpoint, opened with the key before the last rekey
};

/// The media of one SIP call: the endpoint's SRTP with the SDES keys of the call's SDP on one
/// side, a WebRTC connection to the media router (RouterLeg) on the other, as one meeting
/// participant. Its thread:
/// - sends the endpoint's voice to the meeting: Opus as it is (new SSRC and payload type),
///   G.722 and G.711 decoded and encoded as Opus;
/// - sends the endpoint a mix of the meeting's three loudest voices in its own codec, every
///   20 ms, or the prompt tone while `setPrompt` is on;
/// - recognises RFC 4733 DTMF digits, each once (by event and timestamp: baresip's
///   durations count in its audio clock, not 8 kHz), and reports them.
/// The endpoint's address is the SDP's until an authenticated packet comes from elsewhere
/// (symmetric RTP, for endpoints behind NAT).
class CallMedia
{
public:
    struct Callbacks
    {
        std::function<void(char digit)> digit;              ///< on the media thread
        std::function<void(const std::string& why)> failed; ///< the router leg gave up
    };

    /// Opens the endpoint's UDP port on `bindAddress` (announced as `announcedAddress`) and
    /// starts the thread. `context` (client role) must outlive it. Throws std::runtime_error
    /// when the port cannot be opened or a codec is missing.
    CallMedia(const MediaPlan& plan, const CryptoAttribute& localCrypto, const std::string& bindAddress,
              const std::string& announcedAddress, const router::DtlsContext& context, Callbacks callbacks);
    ~CallMedia();
    CallMedia(const CallMedia&) = delete;
    CallMedia& operator=(const CallMedia&) = delete;

    /// Where the endpoint sends its media (for the SDP answer).
    LocalMedia local() const { return local_; }

    /// The next offer to the router: the endpoint's voice, and one receiving section for each
    /// of `audioTracks` (the other participants' audio track ids). A section whose track is
    /// gone is stopped and later reused, as JSEP recycles m-lines. Any thread.
    RouterOffer routerOffer(const std::vector<std::string>& audioTracks);
    /// The router's answer to the last offer: the first one connects. Any thread. Throws
    /// router::SdpError when the answer does not parse or lacks what the connection needs.
    void applyRouterAnswer(const std::string& sdp);
    /// Plays the prompt tone (a PIN is wanted, or the lobby waits) instead of the meeting.
    void setPrompt(bool on) { prompt_ = on; }
    /// New SDES keys (a re-INVITE from either side): from the media thread's next turn the
    /// call sends with `local`, and receives with `remote` and, for kRekeyOverlap more, with
    /// the key before it (what the endpoint sent before it switched is still in flight). A
    /// `remote` equal to the key in use keeps its context (a fresh one would take replays of
    /// what it already took). Any thread. Throws router::SrtpError for an unusable key.
    void rekey(const CryptoAttribute& remote, const CryptoAttribute& local);

    CallMediaStats stats() const;

private:
    struct Section
    {
        std::string mid;
        std::string trackId; ///< "" for the section we send on
        bool stopped = false;
    };

    void run();
    void onEndpointReadable();
    void onEndpointDatagram(std::span<std::uint8_t> datagram, const sockaddr_storage& from, socklen_t fromLength);
    /// Opens an SRTP or SRTCP datagram from the endpoint in place: its length, 0 when no key
    /// in use takes it.
    std::size_t unprotectFromEndpoint(std::span<std::uint8_t> datagram, bool rtp);
    void takeNewKeys(std::int64_t now);
    void onEndpointRtp(std::span<std::uint8_t> packet);
    void onDigitPacket(std::span<const std::uint8_t> payload, std::uint32_t timestamp);
    void onRouterPacket(std::span<std::uint8_t> packet, bool rtcp);
    void sendToMeeting(std::span<const std::uint8_t> payload, std::uint32_t timestamp, bool marker);
    void tick();
    void sendToEndpoint(std::uint8_t* buffer, std::size_t length);

    MediaPlan plan_;
    Callbacks callbacks_;
    LocalMedia local_;
    int fd_ = -1;
    std::unique_ptr<router::SrtpSession> fromEndpoint_, toEndpoint_;
    CryptoAttribute remoteCrypto_;                          ///< the key fromEndpoint_ has
    std::unique_ptr<router::SrtpSession> previousFromEndpoint_; ///< until previousUntil_
    std::int64_t previousUntil_ = 0;
    /// A datagram as it came, for a second try with the previous key: a failed AEAD
    /// decryption leaves the packet changed.
    std::array<std::uint8_t, 2048> trialCopy_{};
    RouterLeg router_;
    router::ReceiveBatch batch_; ///< both sockets' reads (recvmmsg), one at a time
    std::unique_ptr<AudioDecoder> uplinkDecoder_; ///< for G.722 and G.711 endpoints
    std::unique_ptr<AudioEncoder> uplinkEncoder_; ///< Opus towards the meeting, for those
    std::vector<float> uplinkSamples_;
    AudioEncoder downlinkEncoder_;
    std::map<std::uint32_t, std::unique_ptr<AudioDecoder>> downlinkDecoders_; ///< by SSRC
    std::vector<float> decoded_;
    AudioMixer mixer_;

    sockaddr_storage endpointAddress_{};
    socklen_t endpointAddressLength_ = 0;

    std::uint32_t meetingSsrc_ = 0, endpointSsrc_ = 0;
    std::uint16_t meetingSequence_ = 0, endpointSequence_ = 0;
    std::uint32_t meetingTimestamp_ = 0, endpointTimestamp_ = 0;
    bool endpointMarker_ = true;
    std::int64_t nextTick_ = 0;
    std::uint32_t promptPhase_ = 0;
    std::optional<std::pair<std::uint32_t, std::uint8_t>> lastDigit_; ///< (timestamp, event)
    std::optional<std::uint32_t> timestampOffset_; ///< endpoint's Opus clock → ours

    std::atomic<bool> prompt_{false};
    std::atomic<bool> stopping_{false};

    mutable std::mutex mutex_; ///< guards what other threads hand over: the sections, answers
    std::vector<Section> sections_;
    int nextMid_ = 1;
    unsigned offerVersion_ = 1;
    std::optional<router::SdpAnswerTransport> pendingAnswer_;
    std::atomic<bool> answerPending_{false};
    /// New keys for the media thread to take: the contexts made by rekey() (inbound none when
    /// the endpoint's key stays).
    std::unique_ptr<router::SrtpSession> newFromEndpoint_, newToEndpoint_;
    std::optional<CryptoAttribute> newRemoteCrypto_;
    std::atomic<bool> rekeyPending_{false};
    bool routerAnswered_ = false; ///< under mutex_

    struct Counters
    {
        std::atomic<std::uint64_t> endpointPackets{0}, endpointRejected{0}, packetsToMeeting{0},
            packetsToEndpoint{0}, undecodable{0}, digits{0}, rekeys{0}, previousKeyPackets{0};
    } counters_;

    std::thread thread_;
};

} // namespace parley::sip
