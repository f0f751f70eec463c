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

/// What Parley takes of an offer: one audio stream over SRTP.
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
};

/// Chooses the audio stream and its codec and crypto suite (AEAD_AES_128_GCM before
/// AES_CM_128_HMAC_SHA1_80). Throws SipRefusal 488 with reason `no_audio` (no audio line
/// with a port), `no_srtp` (RTP/AVP, or SRTP without a crypto line), `no_suite` (no crypto
/// line Parley can use), or `no_codec` (no codec in common).
MediaPlan planMedia(const SipOffer& offer);

/// Where Parley receives the call's media.
struct LocalMedia
{
    std::string address;
    std::uint16_t audioPort = 0;
};

/// The SDP answer to `offer`: the chosen audio stream with Parley's own key (`localCrypto`,
/// whose tag must be the chosen offer line's), telephone-event when offered, rtcp-mux when
/// offered; every other m-line refused with port 0, as RFC 3264 §6 asks. `version` is the
/// o= line's session version, raised by one for each new answer or offer in the call.
std::string answerSdp(const SipOffer& offer, const MediaPlan& plan, const LocalMedia& local,
                      const CryptoAttribute& localCrypto, std::uint64_t sessionId, std::uint64_t version);

} // namespace parley::sip
