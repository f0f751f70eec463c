#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace parley::router {

/// Thrown for an SDP the router will not negotiate; the message names the line.
class SdpError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

struct SdpCodec
{
    int payloadType = 0;
    std::string name; ///< as written ("opus", "VP8", "H264")
    int clockRate = 0;
    int channels = 1;
    std::string fmtp;                  ///< parameters, "" when none
    std::vector<std::string> feedback; ///< rtcp-fb values ("nack", "nack pli", "ccm fir", ...)
};

struct SdpExtension
{
    int id = 0;
    std::string uri;
};

/// One RTP stream identifier of a section (RFC 8851 `a=rid`), for simulcast.
struct SdpRid
{
    std::string id;        ///< 1 to 16 of A-Z a-z 0-9 _ -
    std::string direction; ///< "send" or "recv"
};

/// One m= section of an offer.
struct SdpMedia
{
    std::string kind; ///< "audio", "video", or anything else (refused in the answer)
    int port = 9;
    std::string protocol;
    std::string mid;
    std::string direction = "sendrecv";
    std::vector<SdpCodec> codecs; ///< in the offer's order of preference
    /// The values of `a=rtcp-fb:*` lines, which apply to every codec (SIP endpoints write
    /// them; browsers do not), at most 16. The router itself reads only per-codec feedback.
    std::vector<std::string> wildcardFeedback;
    std::vector<SdpExtension> extensions;
    std::vector<std::uint32_t> ssrcs; ///< every a=ssrc id, first seen first
    std::uint32_t primarySsrc = 0;    ///< the media SSRC (first of an FID group, else first)
    std::uint32_t rtxSsrc = 0;        ///< its retransmission SSRC (second of the FID group), 0 if none
    std::vector<SdpRid> rids;         ///< at most 8
    /// The rids of `a=simulcast:send` (RFC 8853), in the offer's order, the first of each
    /// alternative list, paused ones (`~`) left out; empty without simulcast.
    std::vector<std::string> simulcastSend;
    std::string iceUfrag;
    std::string icePwd;
    std::string fingerprint; ///< "sha-256 AB:CD..."
    std::string setup;
    bool rtcpMux = false;
    /// The c= address of the section, else the session's; "" when none (SIP endpoints, which
    /// do not do ICE, receive there).
    std::string connectionAddress;
    /// The values of its a=crypto lines (SDES, RFC 4568), unparsed, at most 16.
    std::vector<std::string> cryptos;
    /// Its first UDP candidate (a=candidate) with an address of at most 64 characters and a
    /// port from 1 to 65535; "" and 0 when none. The router ignores candidates (it is
    /// ICE-lite); its own clients read its answer's.
    std::string udpCandidateAddress;
    int udpCandidatePort = 0;
};

/// A parsed offer. Session-level ICE and fingerprint attributes are copied into every
/// media section that has none of its own.
struct SdpOffer
{
    std::vector<SdpMedia> media;
    std::vector<std::string> bundle; ///< mids of the first BUNDLE group
};

/// Parses an SDP offer (RFC 8866 syntax, the WebRTC subset). Throws SdpError for input that
/// is larger than 128 KiB, has no v=0 line, lines over 4 KiB or not of the form `x=...`,
/// more than 64 media sections or 256 formats in one, malformed m=, a=mid, a=rtpmap,
/// a=fmtp, a=rtcp-fb, a=extmap or a=ssrc lines, or numbers out of range.
SdpOffer parseSdpOffer(std::string_view text);

/// How the router answers one media section.
struct SdpAnswerMedia
{
    enum class Role
    {
        Receive,  ///< the peer publishes here; we answer recvonly
        Send,     ///< we forward a track to the peer here; we answer sendonly
        Inactive, ///< accepted but unused
        Rejected, ///< port 0 (unsupported kind or codec)
    };
    Role role = Role::Rejected;
    std::optional<SdpCodec> codec; ///< the one codec chosen from the offer (with its PT)
    std::optional<SdpCodec> rtx;   ///< its retransmission format (RFC 4588), when offered
    std::uint32_t sendSsrc = 0;    ///< Send only: the SSRC we will use
    std::uint32_t sendRtxSsrc = 0; ///< Send only, with `rtx`: the SSRC of our retransmissions
    std::string streamId;          ///< Send only: msid stream (the publisher's participant id)
    std::string trackId;           ///< Send only: msid track
    /// Receive only: the simulcast layers taken, by rid (`a=rid:<id> recv`, `a=simulcast:recv`).
    std::vector<std::string> simulcastRecv;
};

/// What the answer says about the router's end of the transport.
struct SdpAnswerTransport
{
    std::string iceUfrag;
    std::string icePwd;
    std::string fingerprint; ///< "sha-256 AB:CD..."
    std::string address;     ///< announced IP
    int port = 0;
    int tcpPort = 0;         ///< ICE-TCP passive candidate's port; 0: none
};

/// The router's end of the transport as its answer (parsed) describes it: the ICE credentials
/// and fingerprint of the first accepted section and the UDP candidate. Throws SdpError when
/// the answer lacks any of them.
SdpAnswerTransport answerTransport(const SdpOffer& answer);

/// The codec the router would pick from an offered section: Opus for audio; VP8, else H.264
/// with packetization-mode=1, for video. Keeps only the feedback the router handles (nack,
/// nack pli, ccm fir, and transport-cc where the section also offers its header extension:
/// the caller drops it where the router does not send that feedback). With `only` ("VP8",
/// "H264"), only that video codec: a subscriber gets a video in the codec it is published
/// in (the router does not transcode). nullopt when none is offered.
std::optional<SdpCodec> chooseCodec(const SdpMedia& media, std::string_view only = {});

/// The retransmission format (RFC 4588 "rtx" with apt=`payloadType`) offered for the chosen
/// codec, or nullopt. Only for video: the router does not repair audio.
std::optional<SdpCodec> chooseRtx(const SdpMedia& media, int payloadType);

/// The header extension that carries a packet's section (RFC 8843 15.2).
constexpr std::string_view kMidUri = "urn:ietf:params:rtp-hdrext:sdes:mid";

/// The header extensions that carry a simulcast layer's rid, and its resends' (RFC 8852).
constexpr std::string_view kRtpStreamIdUri = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
constexpr std::string_view kRepairedRtpStreamIdUri = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";

/// The transport-wide sequence number header extension (transport-cc feedback).
constexpr std::string_view kTransportWideCcUri =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

/// The playout-delay header extension (libwebrtc's): the sender's bounds on the receiver's
/// buffering, 12-bit minimum and maximum in units of 10 ms.
constexpr std::string_view kPlayoutDelayUri = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay";

/// Header extensions the router negotiates, with the offer's ids: where the peer publishes,
/// mid, abs-send-time, transport-wide sequence numbers, ssrc-audio-level (audio),
/// playout-delay (video) and, for simulcast, the rid extensions; where it receives,
/// transport-wide sequence numbers (its feedback is our estimate of its bandwidth) and, for
/// video, playout-delay.
std::vector<SdpExtension> acceptedExtensions(const SdpMedia& media, SdpAnswerMedia::Role role);

/// Builds the answer: ICE-lite, BUNDLE of every accepted section, rtcp-mux, setup:passive,
/// one UDP host candidate and, with a TCP port, a passive TCP one (RFC 6544) ranked below it. `answers` has one entry per offered section, in order.
std::string buildSdpAnswer(const SdpOffer& offer, const std::vector<SdpAnswerMedia>& answers,
                           const SdpAnswerTransport& transport);

} // namespace parley::router
