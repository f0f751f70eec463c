#include <parley/sip/sip_offer.h>

#include <parley/sip/sip_refusal.h>

#include <parley/router/sdp.h>

#include <Poco/String.h>

#include <algorithm>

namespace parley::sip {
namespace {

constexpr std::size_t kMaxOfferBytes = 64 * 1024;
constexpr std::size_t kMaxStreams = 16;

OfferedStream readStream(const router::SdpMedia& media)
{
    OfferedStream stream;
    stream.kind = media.kind;
    stream.proto = media.protocol;
    stream.secure = stream.proto == "RTP/SAVP" || stream.proto == "RTP/SAVPF";
    stream.port = static_cast<std::uint16_t>(media.port);
    stream.address = media.connectionAddress;
    stream.sends = media.direction == "sendrecv" || media.direction == "sendonly";
    stream.receives = media.direction == "sendrecv" || media.direction == "recvonly";
    stream.rtcpMux = media.rtcpMux;
    for (const auto& codec : media.codecs) {
        OfferedCodec offered{static_cast<unsigned>(codec.payloadType), codec.name,
                             static_cast<unsigned>(codec.clockRate), codec.fmtp, codec.feedback};
        offered.feedback.insert(offered.feedback.end(), media.wildcardFeedback.begin(), media.wildcardFeedback.end());
        stream.codecs.push_back(std::move(offered));
    }
    for (const auto& line : media.cryptos) {
        std::string whyNot;
        if (auto crypto = parseCryptoAttribute(line, whyNot))
            stream.cryptos.push_back(std::move(*crypto));
        else if (stream.cryptoProblem.empty())
            stream.cryptoProblem = whyNot;
    }
    return stream;
}

std::optional<AudioCodec> audioCodecOf(const OfferedCodec& codec)
{
    if (Poco::icompare(codec.name, "opus") == 0 && codec.clockRate == 48000)
        return AudioCodec::Opus;
    if (Poco::icompare(codec.name, "G722") == 0 && codec.clockRate == 8000)
        return AudioCodec::G722;
    if (Poco::icompare(codec.name, "PCMU") == 0 && codec.clockRate == 8000)
        return AudioCodec::Pcmu;
    if (Poco::icompare(codec.name, "PCMA") == 0 && codec.clockRate == 8000)
        return AudioCodec::Pcma;
    return std::nullopt;
}

unsigned clockOf(AudioCodec codec)
{
    return codec == AudioCodec::Opus ? 48000 : 8000;
}

/// One parameter of an fmtp line: `name=value` as written (spaces around it dropped).
struct FormatParameter
{
    std::string_view text, name, value;
};

/// The parameters of an fmtp line (separated by ';').
std::vector<FormatParameter> formatParameters(std::string_view fmtp)
{
    std::vector<FormatParameter> parameters;
    while (!fmtp.empty()) {
        const auto end = fmtp.find(';');
        auto parameter = fmtp.substr(0, end);
        fmtp = end == std::string_view::npos ? std::string_view{} : fmtp.substr(end + 1);
        while (!parameter.empty() && parameter.front() == ' ')
            parameter.remove_prefix(1);
        while (!parameter.empty() && parameter.back() == ' ')
            parameter.remove_suffix(1);
        const auto equals = parameter.find('=');
        parameters.push_back({parameter, parameter.substr(0, equals),
                              equals == std::string_view::npos ? std::string_view{} : parameter.substr(equals + 1)});
    }
    return parameters;
}

bool sameName(std::string_view a, std::string_view b)
{
    return Poco::icompare(std::string(a), std::string(b)) == 0;
}

/// Whether `fmtp` sets `name` to `value`.
bool hasParameter(std::string_view fmtp, std::string_view name, std::string_view value)
{
    for (const auto& parameter : formatParameters(fmtp))
        if (sameName(parameter.name, name))
            return parameter.value == value;
    return false;
}

std::optional<VideoCodec> videoCodecOf(const OfferedCodec& codec)
{
    if (codec.clockRate != 90000)
        return std::nullopt;
    if (Poco::icompare(codec.name, "VP8") == 0)
        return VideoCodec::Vp8;
    // Mode 0 (one NAL unit per packet) is what the router cannot take from browsers either.
    if (Poco::icompare(codec.name, "H264") == 0 && hasParameter(codec.fmtp, "packetization-mode", "1"))
        return VideoCodec::H264;
    return std::nullopt;
}

bool offersFeedback(const OfferedCodec& codec, std::string_view feedback)
{
    return std::find(codec.feedback.begin(), codec.feedback.end(), feedback) != codec.feedback.end();
}

/// The crypto line to use: GCM (RFC 7714) first, it authenticates and encrypts in one pass.
const CryptoAttribute& preferredCrypto(const OfferedStream& stream)
{
    const auto crypto = std::find_if(stream.cryptos.begin(), stream.cryptos.end(), [](const CryptoAttribute& c) {
        return c.suite == router::SrtpProfile::AeadAes128Gcm;
    });
    return crypto != stream.cryptos.end() ? *crypto : stream.cryptos.front();
}

/// What the answer (and the router leg's offer) says of the video format: for H.264 the
/// profile and mode the endpoint named, nothing of its own stream (sprop-parameter-sets);
/// for VP8 nothing.
std::string answerFormat(VideoCodec codec, std::string_view fmtp)
{
    if (codec != VideoCodec::H264)
        return "";
    std::string kept;
    for (const auto& parameter : formatParameters(fmtp))
        for (const auto* wanted : {"profile-level-id", "packetization-mode", "level-asymmetry-allowed"})
            if (sameName(parameter.name, wanted))
                kept += (kept.empty() ? "" : ";") + std::string(parameter.text);
    return kept;
}

/// The first video stream Parley can pass through, if any.
std::optional<VideoPlan> planVideo(const SipOffer& offer)
{
    for (std::size_t i = 0; i < offer.streams.size(); ++i) {
        const auto& stream = offer.streams[i];
        if (stream.kind != "video" || stream.port == 0 || stream.address.empty() || !stream.secure ||
            stream.cryptos.empty())
            continue;
        const OfferedCodec* chosen = nullptr;
        std::optional<VideoCodec> best;
        for (const auto& codec : stream.codecs)
            if (const auto candidate = videoCodecOf(codec); candidate && (!best || *candidate < *best)) {
                best = candidate;
                chosen = &codec;
            }
        if (!best)
            continue;
        VideoPlan plan;
        plan.index = i;
        plan.codec = *best;
        plan.payloadType = chosen->payloadType;
        plan.fmtp = answerFormat(*best, chosen->fmtp);
        plan.remoteAddress = stream.address;
        plan.remotePort = stream.port;
        plan.rtcpMux = stream.rtcpMux;
        plan.sends = stream.sends;
        plan.receives = stream.receives;
        plan.pli = offersFeedback(*chosen, "nack pli");
        plan.fir = offersFeedback(*chosen, "ccm fir");
        plan.remoteCrypto = preferredCrypto(stream);
        return plan;
    }
    return std::nullopt;
}

} // namespace

std::string_view videoCodecName(VideoCodec codec)
{
    return codec == VideoCodec::Vp8 ? "VP8" : "H264";
}

CallKeys remoteKeys(const MediaPlan& plan)
{
    CallKeys keys{plan.remoteCrypto, std::nullopt};
    if (plan.video)
        keys.video = plan.video->remoteCrypto;
    return keys;
}

CallKeys freshKeys(const MediaPlan& plan, std::optional<unsigned> tag)
{
    CallKeys keys{freshCrypto(tag.value_or(plan.remoteCrypto.tag), plan.remoteCrypto.suite), std::nullopt};
    if (plan.video)
        keys.video = freshCrypto(tag.value_or(plan.video->remoteCrypto.tag), plan.video->remoteCrypto.suite);
    return keys;
}

std::string_view audioCodecName(AudioCodec codec)
{
    switch (codec) {
    case AudioCodec::Opus:
        return "opus";
    case AudioCodec::G722:
        return "G722";
    case AudioCodec::Pcmu:
        return "PCMU";
    case AudioCodec::Pcma:
        return "PCMA";
    }
    return "";
}

SipOffer parseSipOffer(std::string_view sdp)
{
    if (sdp.size() > kMaxOfferBytes)
        throw SipRefusal(400, "SDP Too Large", "bad_sdp");
    if (sdp.empty())
        throw SipRefusal(400, "SDP Offer Required", "bad_sdp");
    // Parley's own SDP reader, not sofia-sip's sdp_parse: in Debian 12's sofia-sip 1.12.11 a
    // single byte above 0x7f in an m= line's protocol makes sdp_parse loop forever,
    // allocating (found by the hostile-input test below; tests/sip/test_sip_offer.cpp).
    router::SdpOffer parsed;
    try {
        parsed = router::parseSdpOffer(sdp);
    }
    catch (const router::SdpError&) {
        throw SipRefusal(400, "Malformed SDP", "bad_sdp");
    }
    if (parsed.media.size() > kMaxStreams)
        throw SipRefusal(400, "Too Many Media Lines", "bad_sdp");
    SipOffer offer;
    for (const auto& media : parsed.media)
        offer.streams.push_back(readStream(media));
    return offer;
}

MediaPlan planMedia(const SipOffer& offer)
{
    const OfferedStream* audio = nullptr;
    std::size_t index = 0;
    for (std::size_t i = 0; i < offer.streams.size(); ++i)
        if (offer.streams[i].kind == "audio" && offer.streams[i].port != 0 && !offer.streams[i].address.empty()) {
            audio = &offer.streams[i];
            index = i;
            break;
        }
    if (!audio)
        throw SipRefusal(488, "No Audio Offered", "no_audio");
    if (!audio->secure)
        throw SipRefusal(488, "SRTP Required (RTP/SAVP)", "no_srtp");
    if (audio->cryptos.empty())
        throw SipRefusal(488, audio->cryptoProblem.empty() ? "SRTP Key Required (a=crypto)"
                                                           : "No Usable SRTP Crypto Suite",
                         audio->cryptoProblem.empty() ? "no_srtp" : "no_suite");
    MediaPlan plan;
    plan.audioIndex = index;
    plan.remoteAddress = audio->address;
    plan.remotePort = audio->port;
    plan.rtcpMux = audio->rtcpMux;
    plan.remoteCrypto = preferredCrypto(*audio);
    std::optional<AudioCodec> best;
    for (const auto& codec : audio->codecs) {
        if (Poco::icompare(codec.name, "telephone-event") == 0 && codec.clockRate == 8000 && !plan.telephoneEvent)
            plan.telephoneEvent = codec.payloadType;
        const auto candidate = audioCodecOf(codec);
        if (candidate && (!best || *candidate < *best)) {
            best = candidate;
            plan.payloadType = codec.payloadType;
        }
    }
    if (!best)
        throw SipRefusal(488, "No Common Audio Codec (Opus, G.722, G.711)", "no_codec");
    plan.codec = *best;
    plan.video = planVideo(offer);
    return plan;
}

std::string answerSdp(const SipOffer& offer, const MediaPlan& plan, const LocalMedia& local, const CallKeys& keys,
                      std::uint64_t sessionId, std::uint64_t version)
{
    const std::string ipVersion = local.address.find(':') == std::string::npos ? "IP4" : "IP6";
    std::string sdp = "v=0\r\no=parley " + std::to_string(sessionId) + " " + std::to_string(version) + " IN " +
                      ipVersion + " " + local.address + "\r\ns=Parley\r\nc=IN " + ipVersion + " " + local.address +
                      "\r\nt=0 0\r\n";
    // The endpoint's sendonly or recvonly is mirrored; sendrecv otherwise.
    const auto direction = [](bool sends, bool receives) {
        return !sends && !receives ? "a=inactive\r\n" : !receives ? "a=recvonly\r\n" : !sends ? "a=sendonly\r\n"
                                                                                                : "a=sendrecv\r\n";
    };
    const bool withVideo = plan.video && keys.video && local.videoPort != 0;
    for (std::size_t i = 0; i < offer.streams.size(); ++i) {
        const auto& stream = offer.streams[i];
        if (withVideo && i == plan.video->index) {
            const auto& video = *plan.video;
            const auto pt = std::to_string(video.payloadType);
            sdp += "m=video " + std::to_string(local.videoPort) + " " + stream.proto + " " + pt + "\r\n";
            sdp += "a=rtpmap:" + pt + " " + std::string(videoCodecName(video.codec)) + "/90000\r\n";
            if (!video.fmtp.empty())
                sdp += "a=fmtp:" + pt + " " + video.fmtp + "\r\n";
            if (video.pli)
                sdp += "a=rtcp-fb:" + pt + " nack pli\r\n";
            if (video.fir)
                sdp += "a=rtcp-fb:" + pt + " ccm fir\r\n";
            if (video.rtcpMux)
                sdp += "a=rtcp-mux\r\n";
            sdp += direction(stream.sends, stream.receives);
            sdp += "a=crypto:" + formatCryptoAttribute(*keys.video) + "\r\n";
            continue;
        }
        if (i != plan.audioIndex) {
            // Refused (RFC 3264 §6): same media and proto, port 0, one of its formats.
            const std::string format =
                stream.codecs.empty() ? std::string("0") : std::to_string(stream.codecs.front().payloadType);
            sdp += "m=" + stream.kind + " 0 " + (stream.proto.empty() ? std::string("RTP/AVP") : stream.proto) + " " +
                   format + "\r\n";
            continue;
        }
        sdp += "m=audio " + std::to_string(local.audioPort) + " " + stream.proto + " " +
               std::to_string(plan.payloadType);
        if (plan.telephoneEvent)
            sdp += " " + std::to_string(*plan.telephoneEvent);
        sdp += "\r\n";
        const auto name = audioCodecName(plan.codec);
        sdp += "a=rtpmap:" + std::to_string(plan.payloadType) + " " + std::string(name) + "/" +
               std::to_string(clockOf(plan.codec)) + (plan.codec == AudioCodec::Opus ? "/2" : "") + "\r\n";
        if (plan.codec == AudioCodec::Opus)
            sdp += "a=fmtp:" + std::to_string(plan.payloadType) + " useinbandfec=1;minptime=10\r\n";
        if (plan.telephoneEvent)
            sdp += "a=rtpmap:" + std::to_string(*plan.telephoneEvent) + " telephone-event/8000\r\na=fmtp:" +
                   std::to_string(*plan.telephoneEvent) + " 0-15\r\n";
        if (plan.rtcpMux)
            sdp += "a=rtcp-mux\r\n";
        sdp += "a=ptime:20\r\n";
        sdp += direction(stream.sends, stream.receives);
        sdp += "a=crypto:" + formatCryptoAttribute(keys.audio) + "\r\n";
    }
    return sdp;
}

} // namespace parley::sip
