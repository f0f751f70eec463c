#pragma once

#include "browser_dtls.h"

#include <parley/router/packet_kind.h>
#include <parley/router/packet_store.h>
#include <parley/router/rtcp_packet.h>
#include <parley/router/sdp.h>
#include <parley/router/srtp_session.h>
#include <parley/router/stun_message.h>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <sstream>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace parley::router::test {

using namespace std::chrono_literals;

/// A WebRTC endpoint as the router sees one, built from our own STUN writer, an OpenSSL DTLS
/// client and libsrtp, over a real UDP socket on 127.0.0.1. The router tests drive a
/// MediaRouter with it directly; the server tests drive parleyd's router through signaling.
class Peer
{
public:
    explicit Peer(const std::string& name,
                  const std::string& profiles = "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80")
        : dtls_(profiles), ufrag_(name + "uf"), fd_(::socket(AF_INET, SOCK_DGRAM, 0))
    {
        sockaddr_in local{};
        local.sin_family = AF_INET;
        inet_pton(AF_INET, "127.0.0.1", &local.sin_addr);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
        timeval timeout{0, 50000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    }
    ~Peer() { ::close(fd_); }

    struct Section
    {
        std::string mid;
        std::string kind;      ///< audio or video
        std::string direction; ///< sendonly or recvonly
        std::uint32_t ssrc = 0;
        bool nack = false; ///< video: offers generic NACK (as browsers do), not only PLI
        bool rtx = false;  ///< video: offers RTX (PT 97, SSRC ssrc + 1 where it sends)
        bool playoutDelay = false; ///< video: offers the playout-delay header extension (id 5)
        bool transportCc = false;  ///< offers transport-wide feedback (extension id 3)
        /// Sending video as simulcast layers with these rids, lowest first (no a=ssrc: the
        /// router learns each layer's SSRC from the mid and rid extensions, ids 1 and 4).
        std::vector<std::string> rids = {};
        /// Video: also offers H.264 (PT 102, packetization-mode 1), after VP8 or alone.
        enum class H264 { No, AfterVp8, Only } h264 = H264::No;
    };

    std::string offer(const std::vector<Section>& sections) const
    {
        std::string sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE";
        for (const auto& s : sections)
            sdp += " " + s.mid;
        sdp += "\r\n";
        for (const auto& s : sections) {
            const bool audio = s.kind == "audio";
            const std::string videoFormats = s.h264 == Section::H264::Only       ? "102"
                                             : s.h264 == Section::H264::AfterVp8 ? "96 102"
                                             : s.rtx                             ? "96 97"
                                                                                 : "96";
            sdp += "m=" + s.kind + " 9 UDP/TLS/RTP/SAVPF " + (audio ? "111" : videoFormats) + "\r\n";
            sdp += "c=IN IP4 0.0.0.0\r\na=mid:" + s.mid + "\r\na=ice-ufrag:" + ufrag_ +
                   "\r\na=ice-pwd:peerpasswordpeerpassword\r\na=fingerprint:" + dtls_.fingerprint() +
                   "\r\na=setup:actpass\r\na=" + s.direction + "\r\na=rtcp-mux\r\n";
            if (audio)
                sdp += "a=rtpmap:111 opus/48000/2\r\n";
            if (!audio && s.h264 != Section::H264::Only)
                sdp += "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack pli\r\n";
            if (!audio && s.h264 != Section::H264::No)
                sdp += "a=rtpmap:102 H264/90000\r\na=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;"
                       "profile-level-id=42e01f\r\na=rtcp-fb:102 nack pli\r\n";
            if (!audio && s.nack)
                sdp += "a=rtcp-fb:96 nack\r\n";
            if (!audio && s.rtx)
                sdp += "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n";
            if (s.transportCc)
                sdp += std::string("a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n") +
                       "a=rtcp-fb:" + (audio ? "111" : "96") + " transport-cc\r\n";
            if (!audio && s.playoutDelay)
                sdp += "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r\n";
            if (!s.rids.empty()) {
                sdp += "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
                       "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
                       "a=extmap:6 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n";
                std::string list;
                for (const auto& rid : s.rids) {
                    sdp += "a=rid:" + rid + " send\r\n";
                    list += (list.empty() ? "" : ";") + rid;
                }
                sdp += "a=simulcast:send " + list + "\r\n";
            }
            if (s.ssrc && s.rtx)
                sdp += "a=ssrc-group:FID " + std::to_string(s.ssrc) + " " + std::to_string(s.ssrc + 1) + "\r\n";
            if (s.ssrc)
                sdp += "a=ssrc:" + std::to_string(s.ssrc) + " cname:peer\r\n";
            if (s.ssrc && s.rtx)
                sdp += "a=ssrc:" + std::to_string(s.ssrc + 1) + " cname:peer\r\n";
        }
        return sdp;
    }

    /// From now on speaks to the router over ICE-TCP (RFC 6544, RFC 4571 framing), to the
    /// passive TCP candidate of its answer, as a browser whose UDP is blocked. Call after
    /// applyAnswer and before connect.
    void useTcp()
    {
        REQUIRE(routerTcpPort_ != 0);
        ::close(fd_);
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(routerTcpPort_);
        inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
        REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
        timeval timeout{0, 50000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        tcp_ = true;
    }

    void applyAnswer(const std::string& answer)
    {
        if (const auto tcp = answer.find(" tcp "); tcp != std::string::npos && answer.find("tcptype passive") != std::string::npos) {
            // "a=candidate:2 1 tcp <priority> <address> <port> typ host tcptype passive"
            std::istringstream words(answer.substr(tcp + 5, answer.find('\r', tcp) - tcp - 5));
            std::string priority, address;
            int port = 0;
            words >> priority >> address >> port;
            routerTcpPort_ = static_cast<std::uint16_t>(port);
        }
        const auto parsed = parseSdpOffer(answer);
        for (const auto& media : parsed.media) {
            if (media.port != 0 && routerUfrag_.empty()) {
                routerUfrag_ = media.iceUfrag;
                routerPassword_ = media.icePwd;
                routerPort_ = static_cast<std::uint16_t>(media.port);
            }
            if (!media.ssrcs.empty())
                sendSsrcs_[media.mid] = media.primarySsrc;
            if (media.rtxSsrc)
                rtxSsrcs_[media.mid] = media.rtxSsrc;
        }
    }

    std::uint32_t ssrcFor(const std::string& mid) const { return sendSsrcs_.at(mid); }
    /// The SSRC of the router's resends (RTX) on `mid`, 0 when the answer has none.
    std::uint32_t rtxSsrcFor(const std::string& mid) const
    {
        const auto found = rtxSsrcs_.find(mid);
        return found == rtxSsrcs_.end() ? 0 : found->second;
    }

    /// Moves to a new local port (a network change) and passes an ICE check from there;
    /// DTLS and SRTP state stay. True when the router answered the check.
    bool moveAndCheck()
    {
        ::close(fd_);
        fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in local{};
        local.sin_family = AF_INET;
        inet_pton(AF_INET, "127.0.0.1", &local.sin_addr);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
        timeval timeout{0, 50000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        return iceCheck();
    }

    /// ICE check with USE-CANDIDATE, then the DTLS handshake; true when both succeed.
    bool iceCheck()
    {
        std::array<std::uint8_t, 12> id{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
        std::uint8_t request[256];
        const auto length = writeStunBindingRequest(request, id, routerUfrag_ + ":" + ufrag_, routerPassword_, true);
        send({request, length});
        for (int i = 0; i < 40; ++i) {
            const auto reply = receiveRaw();
            StunMessage message;
            if (!reply.empty() && parseStun(reply, message) == StunParseResult::Ok &&
                message.type == StunMessage::kBindingSuccess && stunIntegrityValid(reply, message, routerPassword_))
                return true;
        }
        return false;
    }

    bool connect()
    {
        if (!iceCheck())
            return false;
        Bytes incoming;
        for (int i = 0; i < 60 && !dtls_.done(); ++i) {
            const auto outgoing = dtls_.step(incoming);
            if (!outgoing.empty())
                send(outgoing);
            incoming = receiveRaw();
        }
        if (!dtls_.done())
            return false;
        const bool gcm = dtls_.profile() == SRTP_AEAD_AES_128_GCM;
        profile_ = gcm ? SrtpProfile::AeadAes128Gcm : SrtpProfile::Aes128CmHmacSha1_80;
        keys_ = dtls_.keys(16, gcm ? 12 : 14);
        outbound_ = std::make_unique<SrtpSession>(profile_, SrtpSession::Direction::Outbound, keys_.first);
        inbound_ = std::make_unique<SrtpSession>(profile_, SrtpSession::Direction::Inbound, keys_.second);
        return true;
    }

    SrtpProfile profile() const { return profile_; }

    /// The SRTP master key||salt of each direction (ours, the router's) as the DTLS handshake
    /// exported them: secrets that must never show up anywhere but in memory.
    const std::pair<Bytes, Bytes>& srtpKeys() const { return keys_; }

    void sendRtp(std::uint32_t ssrc, std::uint8_t payloadType, std::uint16_t sequence, std::uint8_t marker)
    {
        send(protectedRtp(ssrc, payloadType, sequence, marker));
    }

    /// The SRTP packet sendRtp would send, for a test to alter before sending. The payload
    /// is `payloadBytes` bytes counting up from `marker`.
    Bytes protectedRtp(std::uint32_t ssrc, std::uint8_t payloadType, std::uint16_t sequence, std::uint8_t marker)
    {
        return protectedPacket(ssrc, payloadType, sequence, {}, marker);
    }

    /// Resends the packet sendRtp(…, `original`, `marker`) sent, in RTX format (RFC 4588).
    void sendRtx(std::uint32_t rtxSsrc, std::uint8_t rtxPayloadType, std::uint16_t rtxSequence, std::uint16_t original,
                 std::uint8_t marker)
    {
        send(protectedPacket(rtxSsrc, rtxPayloadType, rtxSequence,
                             {static_cast<std::uint8_t>(original >> 8), static_cast<std::uint8_t>(original)}, marker));
    }

    /// One packet of a VP8 simulcast layer, as Chrome sends it: mid and rid extensions (ids
    /// 1 and 4), a payload descriptor with a 15-bit picture id and TL0PICIDX, and the frame's
    /// start: a keyframe header declaring `height` (width 16:9) when `keyframe`.
    void sendVp8(std::uint32_t ssrc, const std::string& mid, const std::string& rid, std::uint16_t sequence,
                 std::uint32_t timestamp, std::uint16_t pictureId, std::uint8_t tl0, bool keyframe, std::uint16_t height)
    {
        Bytes packet{0x90, 96, static_cast<std::uint8_t>(sequence >> 8), static_cast<std::uint8_t>(sequence),
                     static_cast<std::uint8_t>(timestamp >> 24), static_cast<std::uint8_t>(timestamp >> 16),
                     static_cast<std::uint8_t>(timestamp >> 8), static_cast<std::uint8_t>(timestamp),
                     static_cast<std::uint8_t>(ssrc >> 24), static_cast<std::uint8_t>(ssrc >> 16),
                     static_cast<std::uint8_t>(ssrc >> 8), static_cast<std::uint8_t>(ssrc), 0xbe, 0xde, 0, 0};
        Bytes elements{static_cast<std::uint8_t>(0x10 | (mid.size() - 1))};
        elements.insert(elements.end(), mid.begin(), mid.end());
        elements.push_back(static_cast<std::uint8_t>(0x40 | (rid.size() - 1)));
        elements.insert(elements.end(), rid.begin(), rid.end());
        while (elements.size() % 4)
            elements.push_back(0);
        packet[15] = static_cast<std::uint8_t>(elements.size() / 4);
        packet.insert(packet.end(), elements.begin(), elements.end());
        // X S, then I L, picture id (M set), TL0PICIDX.
        for (const std::uint8_t byte : {std::uint8_t(0x90), std::uint8_t(0xc0),
                                        static_cast<std::uint8_t>(0x80 | (pictureId >> 8 & 0x7f)),
                                        static_cast<std::uint8_t>(pictureId), tl0})
            packet.push_back(byte);
        const auto width = static_cast<std::uint16_t>(height * 16 / 9);
        if (keyframe)
            for (const std::uint8_t byte : {std::uint8_t(0x10), std::uint8_t(0x02), std::uint8_t(0x00), std::uint8_t(0x9d),
                                            std::uint8_t(0x01), std::uint8_t(0x2a), static_cast<std::uint8_t>(width),
                                            static_cast<std::uint8_t>(width >> 8), static_cast<std::uint8_t>(height),
                                            static_cast<std::uint8_t>(height >> 8)})
                packet.push_back(byte);
        else
            packet.push_back(0x11); // P set: an interframe
        // Filled with the low byte of the SSRC: a receiver can tell the layers apart.
        for (int i = 0; i < 40; ++i)
            packet.push_back(static_cast<std::uint8_t>(ssrc));
        send(protect(std::move(packet)));
    }

    /// A plain RTP packet, SRTP-protected.
    Bytes protect(Bytes packet)
    {
        const auto plain = packet.size();
        packet.resize(plain + kSrtpMaxTrailer);
        const auto length = outbound_->protectRtp(packet.data(), plain, packet.size());
        REQUIRE(length > 0);
        packet.resize(length);
        return packet;
    }

    Bytes protectedPacket(std::uint32_t ssrc, std::uint8_t payloadType, std::uint16_t sequence, const Bytes& prefix,
                          std::uint8_t marker)
    {
        // With a one-byte header extension (mid), which the router must strip.
        Bytes packet{0x90, payloadType, static_cast<std::uint8_t>(sequence >> 8), static_cast<std::uint8_t>(sequence),
                     0, 0, 0, static_cast<std::uint8_t>(sequence), static_cast<std::uint8_t>(ssrc >> 24),
                     static_cast<std::uint8_t>(ssrc >> 16), static_cast<std::uint8_t>(ssrc >> 8),
                     static_cast<std::uint8_t>(ssrc), 0xbe, 0xde, 0x00, 0x01, 0x10, '0', 0x00, 0x00};
        if (nextTransportSequence) {
            // A second word: the transport-wide sequence number (id 3, two bytes).
            packet[15] = 2;
            const auto sequence = (*nextTransportSequence)++;
            for (const std::uint8_t byte : {std::uint8_t(0x31), static_cast<std::uint8_t>(sequence >> 8),
                                            static_cast<std::uint8_t>(sequence), std::uint8_t(0)})
                packet.push_back(byte);
        }
        for (const auto byte : prefix) // (insert of an empty range trips GCC 12's -Warray-bounds)
            packet.push_back(byte);
        for (std::size_t i = 0; i < payloadBytes; ++i)
            packet.push_back(static_cast<std::uint8_t>(marker + i));
        return protect(std::move(packet));
    }

    /// The next RTP packet the router sends us (decrypted), or empty after `timeout`. Counts
    /// the PLIs that arrive meanwhile.
    Bytes receiveRtp(std::chrono::milliseconds timeout = 1000ms)
    {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            auto datagram = receiveRaw();
            if (datagram.empty() || !inbound_)
                continue;
            const auto kind = classify(datagram);
            if (kind == PacketKind::Rtp) {
                const auto length = inbound_->unprotectRtp(datagram.data(), datagram.size());
                if (length == 0)
                    continue;
                datagram.resize(length);
                return datagram;
            }
            if (kind == PacketKind::Rtcp) {
                const auto length = inbound_->unprotectRtcp(datagram.data(), datagram.size());
                forEachRtcp({datagram.data(), length}, [&](const RtcpView& v) {
                    if (v.type == kRtcpPayloadFeedback && v.count == 1) {
                        ++plis;
                        pliSsrcs.push_back(v.mediaSsrc());
                    }
                    if (v.type == kRtcpTransportFeedback && v.count == 1 && v.bytes.size() > 12) {
                        ++nacks;
                        forEachNackedSequence(v.bytes.subspan(12), 1000,
                                              [&](std::uint16_t s) { nackedSequences.push_back(s); });
                    }
                    if (v.type == kRtcpTransportFeedback && v.count == 15)
                        transportFeedback.emplace_back(v.bytes.begin(), v.bytes.end());
                    if (const auto info = senderInfo(v))
                        senderReports.push_back(*info);
                    if (v.type == kRtcpReceiverReport) {
                        ++receiverReports;
                        for (std::size_t i = 0; i < v.count; ++i)
                            if (const auto block = reportBlock(v, i))
                                reportBlocks.push_back(*block);
                    }
                });
            }
        }
        return {};
    }

    /// Sends a plain RTCP packet, SRTCP-protected.
    void sendRtcp(Bytes packet)
    {
        const auto plain = packet.size();
        packet.resize(plain + kSrtpMaxTrailer);
        const auto length = outbound_->protectRtcp(packet.data(), plain, packet.size());
        REQUIRE(length > 0);
        packet.resize(length);
        send(packet);
    }

    void send(std::span<const std::uint8_t> datagram) const
    {
        if (tcp_) {
            // RFC 4571: the length, then the packet.
            Bytes framed{static_cast<std::uint8_t>(datagram.size() >> 8), static_cast<std::uint8_t>(datagram.size())};
            framed.insert(framed.end(), datagram.begin(), datagram.end());
            ::send(fd_, framed.data(), framed.size(), MSG_NOSIGNAL);
            return;
        }
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(routerPort_);
        inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
        ::sendto(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    }

    /// Reads and forgets, without decrypting, whatever arrives within `wait`: packets lost on
    /// the way, as far as this end's SRTP knows.
    void discard(std::chrono::milliseconds wait)
    {
        const auto until = std::chrono::steady_clock::now() + wait;
        while (std::chrono::steady_clock::now() < until)
            receiveRaw();
    }

    /// Reads and forgets whatever is waiting.
    void drain()
    {
        while (!receiveRtp(150ms).empty()) {
        }
    }

    int plis = 0;
    /// The payload length of what sendRtp and sendRtx send.
    std::size_t payloadBytes = 50;
    std::vector<std::uint32_t> pliSsrcs; ///< the media SSRC each PLI named
    int nacks = 0; ///< generic NACKs received
    std::vector<std::uint16_t> nackedSequences; ///< every sequence number they asked for
    std::vector<Bytes> transportFeedback;       ///< transport-wide feedback packets received
    /// When set, every packet sent carries this transport-wide sequence number (then + 1).
    std::optional<std::uint16_t> nextTransportSequence;
    int receiverReports = 0;
    std::vector<ReportBlock> reportBlocks; ///< from the receiver reports, oldest first
    std::vector<SenderInfo> senderReports; ///< sender reports received, oldest first

private:
    Bytes receiveRaw()
    {
        if (tcp_) {
            for (int reads = 0; reads < 2; ++reads) {
                if (tcpBuffer_.size() >= 2) {
                    const std::size_t length = std::size_t(tcpBuffer_[0]) << 8 | tcpBuffer_[1];
                    if (tcpBuffer_.size() >= 2 + length) {
                        Bytes frame(tcpBuffer_.begin() + 2, tcpBuffer_.begin() + 2 + static_cast<std::ptrdiff_t>(length));
                        tcpBuffer_.erase(tcpBuffer_.begin(), tcpBuffer_.begin() + 2 + static_cast<std::ptrdiff_t>(length));
                        return frame;
                    }
                }
                std::uint8_t chunk[4096];
                const auto received = ::recv(fd_, chunk, sizeof chunk, 0);
                if (received <= 0)
                    return {};
                tcpBuffer_.insert(tcpBuffer_.end(), chunk, chunk + received);
                reads = -1; // more may be whole now
                if (tcpBuffer_.size() > 1 << 20)
                    return {};
            }
            return {};
        }
        Bytes buffer(2048);
        const auto received = ::recv(fd_, buffer.data(), buffer.size(), 0);
        buffer.resize(received > 0 ? static_cast<std::size_t>(received) : 0);
        return buffer;
    }

    BrowserSide dtls_;
    std::string ufrag_;
    int fd_;
    std::string routerUfrag_;
    std::string routerPassword_;
    std::uint16_t routerPort_ = 0;
    std::map<std::string, std::uint32_t> sendSsrcs_;
    std::map<std::string, std::uint32_t> rtxSsrcs_;
    bool tcp_ = false;
    std::uint16_t routerTcpPort_ = 0;
    Bytes tcpBuffer_;
    SrtpProfile profile_ = SrtpProfile::AeadAes128Gcm;
    std::unique_ptr<SrtpSession> outbound_;
    std::unique_ptr<SrtpSession> inbound_;
    std::pair<Bytes, Bytes> keys_;
};

} // namespace parley::router::test
