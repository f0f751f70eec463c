#include <parley/router/sdp.h>

#include <algorithm>
#include <charconv>
#include <sstream>

namespace parley::router {
namespace {

constexpr std::size_t kMaxSdpBytes = 128 * 1024;
constexpr std::size_t kMaxLineBytes = 4096;
constexpr std::size_t kMaxMedia = 64;
constexpr std::size_t kMaxCodecs = 256;
constexpr std::size_t kMaxCryptos = 16; // a=crypto lines kept per section (SDES, RFC 4568)

constexpr std::string_view kAbsSendTimeUri = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
constexpr std::string_view kAudioLevelUri = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";

constexpr std::size_t kMaxRids = 8;

bool ridIdValid(std::string_view id)
{
    return !id.empty() && id.size() <= 16 && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

[[noreturn]] void fail(std::size_t line, const std::string& what)
{
    throw SdpError("SDP line " + std::to_string(line) + ": " + what);
}

std::vector<std::string_view> words(std::string_view text)
{
    std::vector<std::string_view> result;
    std::size_t at = 0;
    while (at < text.size()) {
        const auto start = text.find_first_not_of(' ', at);
        if (start == std::string_view::npos)
            break;
        const auto end = text.find(' ', start);
        result.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos)
            break;
        at = end;
    }
    return result;
}

template <typename Number>
Number number(std::string_view text, Number min, Number max, std::size_t line, const char* what)
{
    Number value{};
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < min || value > max)
        fail(line, std::string(what) + " is not a number in range");
    return value;
}

SdpCodec* codecOf(SdpMedia& media, int payloadType)
{
    for (auto& codec : media.codecs)
        if (codec.payloadType == payloadType)
            return &codec;
    return nullptr;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

void mediaAttribute(SdpMedia& media, std::string_view name, std::string_view value, std::size_t line,
                    std::vector<std::pair<std::uint32_t, std::uint32_t>>& fidGroups)
{
    if (name == "mid") {
        // The mid reaches other participants' SDP (msid) and the roster: token characters only.
        if (value.empty() || value.size() > 32 ||
            value.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
                std::string_view::npos)
            fail(line, "a=mid must be 1 to 32 letters, digits, '_', '.' or '-'");
        media.mid = value;
    }
    else if (name == "sendrecv" || name == "sendonly" || name == "recvonly" || name == "inactive")
        media.direction = name;
    else if (name == "rtcp-mux")
        media.rtcpMux = true;
    else if (name == "crypto") {
        if (media.cryptos.size() < kMaxCryptos)
            media.cryptos.emplace_back(value);
    }
    else if (name == "candidate") {
        // <foundation> <component> <transport> <priority> <address> <port> typ <type> ...
        const auto parts = words(value);
        int port = 0;
        if (media.udpCandidatePort == 0 && parts.size() >= 6 && equalsIgnoreCase(parts[2], "udp") &&
            parts[4].size() <= 64) {
            const auto [end, error] = std::from_chars(parts[5].data(), parts[5].data() + parts[5].size(), port);
            if (error == std::errc() && end == parts[5].data() + parts[5].size() && port > 0 && port < 65536) {
                media.udpCandidateAddress = parts[4];
                media.udpCandidatePort = port;
            }
        }
    }
    else if (name == "ice-ufrag")
        media.iceUfrag = value;
    else if (name == "ice-pwd")
        media.icePwd = value;
    else if (name == "fingerprint")
        media.fingerprint = value;
    else if (name == "setup")
        media.setup = value;
    else if (name == "rtpmap") {
        const auto parts = words(value);
        if (parts.size() != 2)
            fail(line, "a=rtpmap needs a payload type and an encoding");
        const int pt = number<int>(parts[0], 0, 127, line, "payload type");
        auto* codec = codecOf(media, pt);
        if (!codec)
            return; // not listed on the m= line: ignored
        const auto encoding = parts[1];
        const auto slash = encoding.find('/');
        if (slash == std::string_view::npos || slash == 0)
            fail(line, "a=rtpmap encoding must be name/clock-rate");
        codec->name = encoding.substr(0, slash);
        const auto rest = encoding.substr(slash + 1);
        const auto slash2 = rest.find('/');
        codec->clockRate = number<int>(rest.substr(0, slash2), 1, 10000000, line, "clock rate");
        if (slash2 != std::string_view::npos)
            codec->channels = number<int>(rest.substr(slash2 + 1), 1, 8, line, "channel count");
    }
    else if (name == "fmtp" || name == "rtcp-fb") {
        const auto space = value.find(' ');
        if (space == std::string_view::npos)
            fail(line, "a=" + std::string(name) + " needs a payload type and parameters");
        if (value.substr(0, space) == "*") {
            if (name == "rtcp-fb" && media.wildcardFeedback.size() < 16)
                media.wildcardFeedback.emplace_back(value.substr(space + 1));
            return;
        }
        const int pt = number<int>(value.substr(0, space), 0, 127, line, "payload type");
        if (auto* codec = codecOf(media, pt)) {
            const auto parameters = std::string(value.substr(space + 1));
            if (name == "fmtp")
                codec->fmtp = parameters;
            else if (codec->feedback.size() < 16)
                codec->feedback.push_back(parameters);
        }
    }
    else if (name == "extmap") {
        const auto parts = words(value);
        if (parts.size() < 2)
            fail(line, "a=extmap needs an id and a URI");
        const auto idText = parts[0].substr(0, parts[0].find('/'));
        const int id = number<int>(idText, 1, 255, line, "extension id");
        if (media.extensions.size() < 32)
            media.extensions.push_back({id, std::string(parts[1])});
    }
    else if (name == "ssrc") {
        const auto space = value.find(' ');
        const auto ssrc = number<std::uint32_t>(value.substr(0, space), 0, UINT32_MAX, line, "SSRC");
        if (std::find(media.ssrcs.begin(), media.ssrcs.end(), ssrc) == media.ssrcs.end() &&
            media.ssrcs.size() < 16)
            media.ssrcs.push_back(ssrc);
    }
    else if (name == "rid") {
        const auto parts = words(value);
        if (parts.size() < 2 || (parts[1] != "send" && parts[1] != "recv"))
            fail(line, "a=rid needs an id and send or recv");
        if (!ridIdValid(parts[0]))
            fail(line, "a rid is 1 to 16 letters, digits, _ or -");
        if (media.rids.size() == kMaxRids)
            fail(line, "more than " + std::to_string(kMaxRids) + " rids in one section");
        media.rids.push_back({std::string(parts[0]), std::string(parts[1])});
    }
    else if (name == "simulcast") {
        // "send q;h;f" (alternatives split by ',', paused ones marked '~'); "recv" lists are
        // for what the peer receives, which the router never sends as simulcast.
        const auto parts = words(value);
        if (parts.size() < 2)
            fail(line, "a=simulcast needs a direction and rids");
        if (parts[0] != "send")
            return;
        media.simulcastSend.clear();
        std::string_view rest = parts[1];
        while (!rest.empty()) {
            const auto end = rest.find(';');
            auto layer = rest.substr(0, end);
            rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
            layer = layer.substr(0, layer.find(','));
            const bool paused = !layer.empty() && layer.front() == '~';
            if (paused)
                layer.remove_prefix(1);
            if (!ridIdValid(layer))
                fail(line, "a=simulcast names a rid that is not valid");
            if (media.simulcastSend.size() == kMaxRids)
                fail(line, "more than " + std::to_string(kMaxRids) + " simulcast layers");
            // A paused layer is not sent: nothing to take.
            if (!paused)
                media.simulcastSend.emplace_back(layer);
        }
    }
    else if (name == "ssrc-group") {
        const auto parts = words(value);
        if (parts.size() == 3 && parts[0] == "FID")
            fidGroups.emplace_back(number<std::uint32_t>(parts[1], 0, UINT32_MAX, line, "SSRC"),
                                   number<std::uint32_t>(parts[2], 0, UINT32_MAX, line, "SSRC"));
    }
}

} // namespace

SdpOffer parseSdpOffer(std::string_view text)
{
    if (text.size() > kMaxSdpBytes)
        throw SdpError("SDP is larger than 128 KiB");
    SdpOffer offer;
    SdpMedia session; // session-level attributes
    std::vector<std::pair<std::uint32_t, std::uint32_t>> fidGroups;
    std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> groupsPerMedia;
    bool sawVersion = false;
    std::size_t lineNumber = 0;
    std::size_t at = 0;
    while (at < text.size()) {
        auto end = text.find('\n', at);
        if (end == std::string_view::npos)
            end = text.size();
        auto line = text.substr(at, end - at);
        at = end + 1;
        ++lineNumber;
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (line.empty())
            continue;
        if (line.size() > kMaxLineBytes)
            fail(lineNumber, "line longer than 4 KiB");
        if (line.size() < 2 || line[1] != '=')
            fail(lineNumber, "not a type=value line");
        const char type = line[0];
        const auto value = line.substr(2);
        if (type == 'v') {
            if (value != "0")
                fail(lineNumber, "only SDP version 0 is known");
            sawVersion = true;
        }
        else if (type == 'm') {
            if (offer.media.size() >= kMaxMedia)
                fail(lineNumber, "more than 64 media sections");
            const auto parts = words(value);
            if (parts.size() < 3)
                fail(lineNumber, "m= needs media, port, protocol and formats");
            SdpMedia media;
            media.kind = parts[0];
            media.port = number<int>(parts[1].substr(0, parts[1].find('/')), 0, 65535, lineNumber, "port");
            media.protocol = parts[2];
            if (parts.size() - 3 > kMaxCodecs)
                fail(lineNumber, "more than 256 formats");
            for (std::size_t i = 3; i < parts.size(); ++i) {
                SdpCodec codec;
                if (media.kind == "audio" || media.kind == "video") {
                    codec.payloadType = number<int>(parts[i], 0, 127, lineNumber, "payload type");
                    media.codecs.push_back(codec);
                }
            }
            offer.media.push_back(std::move(media));
            groupsPerMedia.emplace_back();
        }
        else if (type == 'c') {
            // c=IN IP4 <address> (RFC 8866 5.7), for endpoints that do not do ICE (SIP).
            const auto parts = words(value);
            if (parts.size() != 3 || parts[0] != "IN" || (parts[1] != "IP4" && parts[1] != "IP6") ||
                parts[2].size() > 64)
                fail(lineNumber, "c= must be IN IP4 or IP6 and an address");
            (offer.media.empty() ? session : offer.media.back()).connectionAddress = parts[2];
        }
        else if (type == 'a') {
            const auto colon = value.find(':');
            const auto name = value.substr(0, colon);
            const auto attribute = colon == std::string_view::npos ? std::string_view() : value.substr(colon + 1);
            if (offer.media.empty()) {
                if (name == "group") {
                    const auto parts = words(attribute);
                    if (!parts.empty() && parts[0] == "BUNDLE" && offer.bundle.empty())
                        for (std::size_t i = 1; i < parts.size() && i <= kMaxMedia; ++i)
                            offer.bundle.emplace_back(parts[i]);
                }
                else
                    mediaAttribute(session, name, attribute, lineNumber, fidGroups);
            }
            else
                mediaAttribute(offer.media.back(), name, attribute, lineNumber, groupsPerMedia.back());
        }
    }
    if (!sawVersion)
        throw SdpError("SDP has no v=0 line");
    for (std::size_t i = 0; i < offer.media.size(); ++i) {
        auto& media = offer.media[i];
        if (media.iceUfrag.empty())
            media.iceUfrag = session.iceUfrag;
        if (media.icePwd.empty())
            media.icePwd = session.icePwd;
        if (media.fingerprint.empty())
            media.fingerprint = session.fingerprint;
        if (media.setup.empty())
            media.setup = session.setup;
        if (media.connectionAddress.empty())
            media.connectionAddress = session.connectionAddress;
        // The media SSRC is the first of an FID (RTX) pair, or else the first one listed.
        media.primarySsrc = media.ssrcs.empty() ? 0 : media.ssrcs.front();
        if (!groupsPerMedia[i].empty()) {
            media.primarySsrc = groupsPerMedia[i].front().first;
            media.rtxSsrc = groupsPerMedia[i].front().second;
        }
        // Codecs without an rtpmap are static payload types (RFC 3551): the telephone
        // codecs are named, the others are not used.
        for (auto& codec : media.codecs)
            if (codec.name.empty() && media.kind == "audio" &&
                (codec.payloadType == 0 || codec.payloadType == 8 || codec.payloadType == 9)) {
                codec.name = codec.payloadType == 0 ? "PCMU" : codec.payloadType == 8 ? "PCMA" : "G722";
                codec.clockRate = 8000;
            }
        std::erase_if(media.codecs, [](const SdpCodec& codec) { return codec.name.empty(); });
    }
    return offer;
}

SdpAnswerTransport answerTransport(const SdpOffer& answer)
{
    SdpAnswerTransport transport;
    for (const auto& media : answer.media) {
        if (media.port == 0)
            continue;
        if (transport.iceUfrag.empty()) {
            transport.iceUfrag = media.iceUfrag;
            transport.icePwd = media.icePwd;
            transport.fingerprint = media.fingerprint;
        }
        if (transport.port == 0 && media.udpCandidatePort != 0) {
            transport.address = media.udpCandidateAddress;
            transport.port = media.udpCandidatePort;
        }
    }
    if (transport.iceUfrag.empty() || transport.icePwd.empty() || transport.fingerprint.empty())
        throw SdpError("the answer has no ICE credentials or fingerprint");
    if (transport.port == 0)
        throw SdpError("the answer has no UDP candidate");
    return transport;
}

std::optional<SdpCodec> chooseCodec(const SdpMedia& media, std::string_view only)
{
    const bool twccExtension = std::any_of(media.extensions.begin(), media.extensions.end(),
                                           [](const SdpExtension& e) { return e.uri == kTransportWideCcUri; });
    const auto keepFeedback = [twccExtension](SdpCodec codec) {
        std::erase_if(codec.feedback, [twccExtension](const std::string& fb) {
            return fb != "nack" && fb != "nack pli" && fb != "ccm fir" && !(fb == "transport-cc" && twccExtension);
        });
        return codec;
    };
    if (media.kind == "audio") {
        for (const auto& codec : media.codecs)
            if (equalsIgnoreCase(codec.name, "opus") && codec.clockRate == 48000)
                return keepFeedback(codec);
        return std::nullopt;
    }
    if (media.kind == "video") {
        for (const auto& codec : media.codecs)
            if (equalsIgnoreCase(codec.name, "VP8") && codec.clockRate == 90000 &&
                (only.empty() || equalsIgnoreCase(only, "VP8")))
                return keepFeedback(codec);
        for (const auto& codec : media.codecs)
            if (equalsIgnoreCase(codec.name, "H264") && codec.clockRate == 90000 &&
                (only.empty() || equalsIgnoreCase(only, "H264")) &&
                codec.fmtp.find("packetization-mode=1") != std::string::npos)
                return keepFeedback(codec);
    }
    return std::nullopt;
}

std::optional<SdpCodec> chooseRtx(const SdpMedia& media, int payloadType)
{
    if (media.kind != "video")
        return std::nullopt;
    const auto apt = "apt=" + std::to_string(payloadType);
    for (const auto& codec : media.codecs)
        if (equalsIgnoreCase(codec.name, "rtx") && codec.clockRate == 90000) {
            // apt may sit among other parameters (rtx-time); match it as a whole parameter.
            std::string_view rest = codec.fmtp;
            while (!rest.empty()) {
                const auto end = rest.find(';');
                auto parameter = rest.substr(0, end);
                rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
                while (!parameter.empty() && parameter.front() == ' ')
                    parameter.remove_prefix(1);
                while (!parameter.empty() && parameter.back() == ' ')
                    parameter.remove_suffix(1);
                if (parameter == apt) {
                    SdpCodec rtx = codec;
                    rtx.feedback.clear();
                    rtx.fmtp = apt;
                    return rtx;
                }
            }
        }
    return std::nullopt;
}

std::vector<SdpExtension> acceptedExtensions(const SdpMedia& media, SdpAnswerMedia::Role role)
{
    std::vector<SdpExtension> accepted;
    if (role == SdpAnswerMedia::Role::Send) {
        for (const auto& extension : media.extensions)
            if ((media.kind == "video" && extension.uri == kPlayoutDelayUri) || extension.uri == kTransportWideCcUri)
                accepted.push_back(extension);
        return accepted;
    }
    if (role != SdpAnswerMedia::Role::Receive)
        return accepted;
    for (const auto& extension : media.extensions)
        // playout-delay too, though we never receive it: browsers offer later sections only
        // the extensions their earlier ones negotiated, and we send it in those.
        if (extension.uri == kMidUri || extension.uri == kAbsSendTimeUri || extension.uri == kTransportWideCcUri ||
            (media.kind == "audio" && extension.uri == kAudioLevelUri) ||
            (media.kind == "video" && extension.uri == kPlayoutDelayUri) ||
            (!media.simulcastSend.empty() &&
             (extension.uri == kRtpStreamIdUri || extension.uri == kRepairedRtpStreamIdUri)))
            accepted.push_back(extension);
    return accepted;
}

std::string buildSdpAnswer(const SdpOffer& offer, const std::vector<SdpAnswerMedia>& answers,
                           const SdpAnswerTransport& transport)
{
    if (answers.size() != offer.media.size())
        throw SdpError("one answer per offered media section is needed");
    std::ostringstream out;
    out << "v=0\r\no=- 1 2 IN IP4 " << transport.address << "\r\ns=parley\r\nt=0 0\r\n";
    out << "a=ice-lite\r\n";
    const auto accepted = [&](std::size_t i) {
        return answers[i].role != SdpAnswerMedia::Role::Rejected && answers[i].codec &&
               offer.media[i].port != 0;
    };
    std::string bundle;
    for (std::size_t i = 0; i < answers.size(); ++i)
        if (accepted(i))
            bundle += " " + offer.media[i].mid;
    if (!bundle.empty())
        out << "a=group:BUNDLE" << bundle << "\r\n";
    out << "a=msid-semantic: WMS *\r\n";
    bool candidateWritten = false;
    for (std::size_t i = 0; i < answers.size(); ++i) {
        const auto& offered = offer.media[i];
        const auto& answer = answers[i];
        // A section the peer stopped (port 0) stays rejected.
        const bool rejected = !accepted(i);
        const auto protocol = offered.protocol.empty() ? "UDP/TLS/RTP/SAVPF" : offered.protocol;
        if (rejected) {
            // A rejected section keeps its kind and some format, with port 0.
            out << "m=" << offered.kind << " 0 " << protocol << " "
                << (offered.codecs.empty() ? 0 : offered.codecs.front().payloadType) << "\r\n";
            out << "c=IN IP4 0.0.0.0\r\n";
            if (!offered.mid.empty())
                out << "a=mid:" << offered.mid << "\r\n";
            out << "a=inactive\r\n";
            continue;
        }
        const auto& codec = *answer.codec;
        out << "m=" << offered.kind << " " << transport.port << " " << protocol << " " << codec.payloadType;
        if (answer.rtx)
            out << " " << answer.rtx->payloadType;
        out << "\r\n";
        out << "c=IN IP4 " << transport.address << "\r\n";
        out << "a=rtcp:" << transport.port << " IN IP4 " << transport.address << "\r\n";
        out << "a=mid:" << offered.mid << "\r\n";
        out << "a=ice-ufrag:" << transport.iceUfrag << "\r\na=ice-pwd:" << transport.icePwd << "\r\n";
        out << "a=fingerprint:" << transport.fingerprint << "\r\na=setup:passive\r\n";
        if (!candidateWritten) {
            // One host candidate for the whole bundle (RFC 8839: on the first section).
            out << "a=candidate:1 1 udp 2130706431 " << transport.address << " " << transport.port
                << " typ host\r\n";
            // RFC 6544 4.2: TCP below UDP; passive, as the router only accepts connections.
            if (transport.tcpPort)
                out << "a=candidate:2 1 tcp 1518280447 " << transport.address << " " << transport.tcpPort
                    << " typ host tcptype passive\r\n";
            out << "a=end-of-candidates\r\n";
            candidateWritten = true;
        }
        for (const auto& extension : acceptedExtensions(offered, answer.role))
            out << "a=extmap:" << extension.id << " " << extension.uri << "\r\n";
        switch (answer.role) {
        case SdpAnswerMedia::Role::Receive:
            out << "a=recvonly\r\n";
            if (!answer.simulcastRecv.empty()) {
                for (const auto& rid : answer.simulcastRecv)
                    out << "a=rid:" << rid << " recv\r\n";
                out << "a=simulcast:recv";
                for (std::size_t k = 0; k < answer.simulcastRecv.size(); ++k)
                    out << (k == 0 ? " " : ";") << answer.simulcastRecv[k];
                out << "\r\n";
            }
            break;
        case SdpAnswerMedia::Role::Send:
            out << "a=sendonly\r\n";
            out << "a=msid:" << answer.streamId << " " << answer.trackId << "\r\n";
            break;
        default:
            out << "a=inactive\r\n";
            break;
        }
        out << "a=rtcp-mux\r\n";
        out << "a=rtpmap:" << codec.payloadType << " " << codec.name << "/" << codec.clockRate;
        if (offered.kind == "audio" && codec.channels > 1)
            out << "/" << codec.channels;
        out << "\r\n";
        if (!codec.fmtp.empty())
            out << "a=fmtp:" << codec.payloadType << " " << codec.fmtp << "\r\n";
        for (const auto& feedback : codec.feedback)
            out << "a=rtcp-fb:" << codec.payloadType << " " << feedback << "\r\n";
        if (answer.rtx)
            out << "a=rtpmap:" << answer.rtx->payloadType << " rtx/90000\r\na=fmtp:" << answer.rtx->payloadType << " "
                << answer.rtx->fmtp << "\r\n";
        if (answer.role == SdpAnswerMedia::Role::Send) {
            if (answer.rtx && answer.sendRtxSsrc)
                out << "a=ssrc-group:FID " << answer.sendSsrc << " " << answer.sendRtxSsrc << "\r\n";
            for (const auto ssrc : {answer.sendSsrc, answer.rtx ? answer.sendRtxSsrc : 0u}) {
                if (ssrc == 0)
                    continue;
                out << "a=ssrc:" << ssrc << " cname:parley\r\n";
                out << "a=ssrc:" << ssrc << " msid:" << answer.streamId << " " << answer.trackId << "\r\n";
            }
        }
    }
    return out.str();
}

} // namespace parley::router
