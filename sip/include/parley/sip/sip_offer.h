#pragma once

#include <parley/sip/sdes_crypto.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::sip {

/// A payload format a SIP endpoint offers (rtpmap, or a static payload type).
struct OfferedCodec
{
    unsigned payloadType = 0;
    std::string name; ///< as written ("opus", "PCMU", "telephone-event"), compared without case
    unsigned clockRate = 0;
    std::string fmtp;
    std::vector<std::string> feedback; ///< its a=rtcp-fb values ("nack pli", "ccm fir"), `*` lines' too
};

/// One m-line of an endpoint's offer, as far as Parley uses it.
struct OfferedStream
{
    std::string kind;  ///< "audio", "video" or what the line said
    std::string proto; ///< "RTP/SAVP", "RTP/AVP", ...
    bool secure = false; ///< RTP/SAVP or RTP/SAVPF
    std::string address; ///< where it receives (the line's c= or the session's)
    std::uint16_t port = 0;
    bool rtcpMux = false;
    bool sends = true, receives = true;
    std::vector<OfferedCodec> codecs; ///< in the order of preference the offer gives
    /// The crypto lines Parley can use, in the offer's order; `cryptoProblem` says why the
    /// first one it could not use was refused.
    std::vector<CryptoAttribute> cryptos;
    std::string cryptoProblem;
};

/// An SDP offer (or a re-INVITE's) from a SIP endpoint.
struct SipOffer
{
    std::vector<OfferedStream> streams; ///< every m-line, in order (the answer mirrors them)
};

/// Parses an offer with Parley's SDP reader (parley/router/sdp.h). Throws SipRefusal (400 `bad_sdp`) for a
/// body over 64 KiB, SDP that does not parse, or more than 16 m-lines.
SipOffer parseSipOffer(std::string_view sdp);

/// The audio codecs Parley speaks with SIP endpoints, most preferred first.
enum class AudioCodec
{
    Opus, ///< opus/48000/2, passed to the meeting as it is
    G722, ///< G722/8000 (16 kHz audio)
    Pcmu, ///< PCMU/8000
    Pcma, ///< PCMA/8000
};

std::string_view audioCodecName(AudioCodec codec);

/// The video codecs Parley passes through between SIP endpoints and the meeting, most
/// preferred first: VP8 is what browsers publish through Parley's router.
enum class VideoCodec
{
    Vp8,  ///< VP8/90000 (RFC 7741)
    H264, ///< H264/90000 with packetization-mode=1 (RFC 6184), as the router takes it
};

std::string_view videoCodecName(VideoCodec codec);

/// The video stream Parley takes of an offer, passed through without transcoding.
struct VideoPlan
{
    std::size_t index = 0; ///< its m-line in the offer
    VideoCodec codec = VideoCodec::Vp8;
    unsigned payloadType = 0;
    std::string fmtp; ///< for the answer: H.264's profile and mode as the endpoint named them; "" for VP8
    std::string remoteAddress;
    std::uint16_t remotePort = 0;
    bool rtcpMux = false;
    bool sends = true, receives = true; ///< as the endpoint offered it
    /// Keyframe requests the endpoint takes by RTCP (RFC 4585/5104 rtcp-fb); with neither,
    /// Parley asks it by SIP INFO picture_fast_update (RFC 5168).
    bool pli = false, fir = false;
    CryptoAttribute remoteCrypto;
};

/// What Parley takes of an offer: one audio stream over SRTP, and one video stream where the
/// endpoint offers VP8 or H.264 over SRTP with a usable key.
struct MediaPlan
{
    std::size_t audioIndex = 0; ///< its m-line in the offer
    AudioCodec codec = AudioCodec::Opus;
    unsigned payloadType = 0;
    std::optional<unsigned> telephoneEvent; ///< RFC 4733 payload type, for the PIN by DTMF
    std::string remoteAddress;
    std::uint16_t remotePort = 0;
    bool rtcpMux = false;
    CryptoAttribute remoteCrypto; ///< the key it sends with
    std::optional<VideoPlan> video;
};

/// One side's SDES keys of a call: audio's, and video's when the call has video.
struct CallKeys
{
    CryptoAttribute audio;
    std::optional<CryptoAttribute> video;
};

/// The endpoint's keys as `plan` holds them.
CallKeys remoteKeys(const MediaPlan& plan);
/// Fresh keys of Parley's for each stream of `plan`, in the suites the endpoint chose, under
/// `tag` or, with none, the tag of the endpoint's line (an answer must use the offer's tag).
CallKeys freshKeys(const MediaPlan& plan, std::optional<unsigned> tag = std::nullopt);

/// Chooses the audio stream and its codec and crypto suite (AEAD_AES_128_GCM before
/// AES_CM_128_HMAC_SHA1_80), and the first video stream with a port, SRTP, a usable key and
/// VP8 or H.264 (packetization-mode=1); a video stream without them is left out (refused in
/// the answer) and the call goes on with audio only. Throws SipRefusal 488 with reason `no_audio` (no audio line
/// with a port), `no_srtp` (RTP/AVP, or SRTP without a crypto line), `no_suite` (no crypto
/// line Parley can use), or `no_codec` (no codec in common).
MediaPlan planMedia(const SipOffer& offer);

/// Where Parley receives the call's media.
struct LocalMedia
{
    std::string address;
    std::uint16_t audioPort = 0;
    std::uint16_t videoPort = 0; ///< 0 when the call has no video
};

/// The SDP answer to `offer`: the chosen audio stream with Parley's own key (`local.audio`,
/// whose tag must be the chosen offer line's), telephone-event when offered, rtcp-mux when
/// offered; the chosen video stream likewise with `local.video`, its codec, and the rtcp-fb
/// keyframe requests the endpoint offered; every other m-line refused with port 0, as
/// RFC 3264 §6 asks. `version` is the
/// o= line's session version, raised by one for each new answer or offer in the call.
std::string answerSdp(const SipOffer& offer, const MediaPlan& plan, const LocalMedia& local, const CallKeys& keys,
                      std::uint64_t sessionId, std::uint64_t version);

} // namespace parley::sip
