// The SIP server against a real endpoint: Debian's baresip, over TLS on 127.0.0.1.
#include "eventually.h"
#include "baresip_endpoint.h"

#include "temp_dir.h"
#include "test_certificates.h"
#include "tls_client.h"

#include <parley/log/event_formatter.h>
#include <parley/router/srtp_session.h>
#include <parley/sip/digest_authenticator.h>
#include <parley/sip/sip_offer.h>
#include <parley/sip/sip_server.h>

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

using namespace parley;
using namespace parley::sip;
using namespace std::chrono_literals;
using parley::test::BaresipEndpoint;

namespace {

constexpr const char* kMeeting = "123456";
constexpr const char* kPassword = "Vq7-endpoint-secret";

/// Receives a call's SRTP on a UDP port of 127.0.0.1 and opens it with the endpoint's key.
class SrtpReceiver
{
public:
    SrtpReceiver(const CryptoAttribute& remote, unsigned payloadType)
        : inbound_(remote.suite, router::SrtpSession::Direction::Inbound, remote.key.bytes()), payloadType_(payloadType)
    {
        fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
        socklen_t length = sizeof address;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~SrtpReceiver()
    {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    std::uint16_t port() const { return port_; }
    int opened() const { return opened_; }
    int refused() const { return refused_; }

private:
    void run()
    {
        std::uint8_t packet[1600];
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) != 1)
                continue;
            const auto length = ::recv(fd_, packet, sizeof packet, 0);
            // RTP only (RTCP, muxed, has payload types 200 to 204 in the second byte).
            if (length < 12 || (packet[1] >= 200 && packet[1] <= 204))
                continue;
            if (inbound_.unprotectRtp(packet, static_cast<std::size_t>(length)) > 12 && (packet[1] & 0x7f) == payloadType_)
                ++opened_;
            else
                ++refused_;
        }
    }

    router::SrtpSession inbound_;
    unsigned payloadType_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> opened_{0}, refused_{0};
    std::thread thread_;
};

/// The meeting side of the tests: one endpoint ("room-42"), one meeting (123456).
class TestHandler : public SipCallHandler
{
public:
    std::optional<EndpointCredentials> endpoint(const std::string& username, const std::string& realm) override
    {
        if (username != "room-42" || realm != "parley")
            return std::nullopt;
        return EndpointCredentials{digestHa1("room-42", "parley", kPassword), "Room 42 (Ward 3)"};
    }
    LocalMedia acceptCall(const IncomingCall& call, const CallKeys& localKeys) override
    {
        const auto& remote = call.plan.remoteCrypto;
        const auto& local = localKeys.audio;
        if (call.target != kMeeting)
            throw SipRefusal(404, "Meeting Not Found", "unknown_meeting");
        std::lock_guard lock(mutex);
        accepted.push_back(call);
        remoteKey = formatCryptoAttribute(remote);
        localKey = formatCryptoAttribute(local);
        receiver = std::make_unique<SrtpReceiver>(remote, call.plan.payloadType);
        return {"127.0.0.1", receiver->port(), static_cast<std::uint16_t>(call.plan.video ? 40010 : 0)};
    }
    void callRefused(const IncomingCall&, const SipRefusal& refusal) override
    {
        std::lock_guard lock(mutex);
        refused.push_back(refusal.reason());
    }
    void callEnded(const std::string& callId, const std::string& reason) override
    {
        std::lock_guard lock(mutex);
        ended.emplace_back(callId, reason);
    }
    void callRekeyed(const std::string& callId, const CallKeys& remote, const CallKeys& local, bool) override
    {
        std::lock_guard lock(mutex);
        rekeyed.push_back({callId, remote.audio, local.audio,
                           remote.video ? formatCryptoAttribute(*remote.video) : std::string(),
                           local.video ? formatCryptoAttribute(*local.video) : std::string()});
    }
    void keyframeRequested(const std::string& callId) override
    {
        std::lock_guard lock(mutex);
        keyframeRequests.push_back(callId);
    }
    struct Rekey
    {
        std::string callId;
        CryptoAttribute remote, local;
        std::string remoteVideo, localVideo; ///< formatted; "" without video
    };
    std::vector<Rekey> rekeyed;
    std::vector<std::string> keyframeRequests; ///< call ids, by SIP INFO picture_fast_update

    std::mutex mutex;
    std::vector<IncomingCall> accepted;
    std::vector<std::string> refused;
    std::vector<std::pair<std::string, std::string>> ended;
    std::string remoteKey, localKey;
    std::unique_ptr<SrtpReceiver> receiver;
};

/// A SIP server on a free port with a fresh certificate.
struct ServerFixture
{
    test::TempDir dir;
    TestHandler handler;
    SipSettings settings;
    std::unique_ptr<SipServer> server;

    explicit ServerFixture(bool allowGuests = false, std::chrono::seconds rekeyInterval = std::chrono::seconds(3600))
    {
        settings.allowGuests = allowGuests;
        settings.rekeyInterval = rekeyInterval;
        const auto certificate = test::makeTestCertificate({});
        std::filesystem::create_directories(dir / "sip-tls");
        test::writeFile(dir / "sip-tls" / "agent.pem", certificate.pem() + certificate.keyPem());
        settings.enabled = true;
        settings.listenAddress = "127.0.0.1";
        settings.port = test::freePort();
        settings.certificateDirectory = dir / "sip-tls";
        server = std::make_unique<SipServer>(settings, handler);
    }

    std::string dial(const std::string& transport = "tls") const
    {
        return "sip:" + std::string(kMeeting) + "@127.0.0.1:" + std::to_string(settings.port) + ";transport=" + transport;
    }
};

std::string account(const std::string& password = kPassword, const std::string& mediaenc = ";mediaenc=srtp-mand",
                    const std::string& user = "room-42")
{
    return "\"Ward 3 Room\" <sip:" + user + "@127.0.0.1;transport=tls>;auth_user=" + user + ";auth_pass=" + password +
           mediaenc + ";audio_codecs=opus/48000/2;regint=0";
}

/// An account that registers with the server on `port` every `seconds` and dials nothing.
std::string registeringAccount(std::uint16_t port, const std::string& password = kPassword, int seconds = 600)
{
    return "<sip:room-42@127.0.0.1:" + std::to_string(port) + ";transport=tls>;auth_user=room-42;auth_pass=" + password +
           ";mediaenc=srtp-mand;regint=" + std::to_string(seconds);
}

/// Keeps every log line between attach() and detach() (Parley's and, at debug level,
/// sofia-sip's). Reference-counted like every Poco channel: made with new, held by AutoPtr.
class LogCapture : public Poco::Channel
{
public:
    LogCapture() : formatter_(log::EventFormatter::Style::Journal) {}
    void attach()
    {
        original_ = Poco::Logger::root().getChannel();
        for (const auto* name : {"", "sip", "sip.stack"}) {
            Poco::Logger::get(name).setChannel(Poco::Channel::Ptr(this, true));
            Poco::Logger::get(name).setLevel(Poco::Message::PRIO_DEBUG);
        }
    }
    void detach()
    {
        for (const auto* name : {"", "sip", "sip.stack"}) {
            Poco::Logger::get(name).setChannel(original_);
            Poco::Logger::get(name).setLevel(Poco::Message::PRIO_INFORMATION);
        }
    }
    void log(const Poco::Message& message) override
    {
        std::string line;
        formatter_.format(message, line);
        std::lock_guard lock(mutex_);
        text_ += line + "\n";
    }
    std::string text()
    {
        std::lock_guard lock(mutex_);
        return text_;
    }

private:
    log::EventFormatter formatter_;
    std::mutex mutex_;
    std::string text_;
    Poco::Channel::Ptr original_;
};

/// A SIP endpoint written out by hand over TLS, for what baresip 1.0.0 does not do: its own
/// re-INVITE with a new key. One dialog, one request at a time; it reads what the server
/// sends and answers nothing but what the test asks.
class HandWrittenEndpoint
{
public:
    explicit HandWrittenEndpoint(std::uint16_t port) : tls_(port) {}

    /// Sends an INVITE (or, with the dialog up, a re-INVITE) carrying `sdp`; returns the
    /// final response's status and SDP, and ACKs a 2xx.
    std::pair<int, std::string> invite(const std::string& sdp)
    {
        ++cseq_;
        const bool initial = toTag_.empty();
        const std::string requestUri = initial ? std::string("sip:") + kMeeting + "@127.0.0.1" : contact_;
        send("INVITE " + requestUri + " SIP/2.0\r\n" + via() + "Max-Forwards: 70\r\n" + dialog() +
                 "CSeq: " + std::to_string(cseq_) + " INVITE\r\nContact: <sip:phone@127.0.0.1:5999;transport=tls>\r\n"
                 "Content-Type: application/sdp\r\n",
             sdp);
        for (;;) {
            const auto message = read();
            if (message.empty())
                return {0, ""};
            if (message.rfind("SIP/2.0 ", 0) != 0)
                continue; // a request of the server's: not expected here
            const int status = std::stoi(message.substr(8, 3));
            if (status < 200)
                continue;
            if (initial && status == 200) {
                toTag_ = header(message, "To").substr(header(message, "To").find(";tag=") + 5);
                const auto contact = header(message, "Contact");
                contact_ = contact.substr(contact.find('<') + 1, contact.find('>') - contact.find('<') - 1);
            }
            if (status >= 200 && status < 300)
                send("ACK " + contact_ + " SIP/2.0\r\n" + via() + "Max-Forwards: 70\r\n" + dialog() + "CSeq: " +
                         std::to_string(cseq_) + " ACK\r\n",
                     "");
            return {status, body(message)};
        }
    }

    /// Sends an INFO in the dialog; returns the final response's status.
    int info(const std::string& contentType, const std::string& content)
    {
        send("INFO " + contact_ + " SIP/2.0\r\n" + via() + "Max-Forwards: 70\r\n" + dialog() + "CSeq: " +
                 std::to_string(++cseq_) + " INFO\r\nContent-Type: " + contentType + "\r\n",
             content);
        for (;;) {
            const auto message = read();
            if (message.empty())
                return 0;
            if (message.rfind("SIP/2.0 ", 0) != 0)
                continue;
            if (const int status = std::stoi(message.substr(8, 3)); status >= 200)
                return status;
        }
    }
    /// Waits for the server's request `method` in the dialog and answers it 200 OK, with
    /// `sdp` as the answer's body when given; returns the request, "" after 10 s without.
    std::string awaitRequest(const std::string& method, const std::string& sdp = "")
    {
        for (;;) {
            const auto message = read();
            if (message.empty() || message.rfind(method + " ", 0) == 0) {
                if (!message.empty())
                    send("SIP/2.0 200 OK\r\nVia: " + header(message, "Via") + "\r\nFrom: " + header(message, "From") +
                             "\r\nTo: " + header(message, "To") + "\r\nCall-ID: " + header(message, "Call-ID") +
                             "\r\nCSeq: " + header(message, "CSeq") +
                             "\r\nContact: <sip:phone@127.0.0.1:5999;transport=tls>\r\n" +
                             (sdp.empty() ? "" : "Content-Type: application/sdp\r\n"),
                         sdp);
                return message;
            }
        }
    }
    static std::string bodyOf(const std::string& message) { return body(message); }

    /// Sends a REGISTER with `extraHeaders` (each ending in CRLF, written as given: the test's
    /// hostile ones too) and returns the final response's status and whole text.
    std::pair<int, std::string> registerWith(const std::string& extraHeaders)
    {
        send("REGISTER sip:127.0.0.1 SIP/2.0\r\n" + via() + "Max-Forwards: 70\r\nCall-ID: hand-register@127.0.0.1\r\n"
             "CSeq: " + std::to_string(++cseq_) + " REGISTER\r\n" + extraHeaders,
             "");
        for (;;) {
            const auto message = read();
            if (message.empty())
                return {0, ""};
            if (message.rfind("SIP/2.0 ", 0) != 0)
                continue;
            const int status = std::stoi(message.substr(8, 3));
            if (status >= 200)
                return {status, message};
        }
    }
    static std::string header(const std::string& message, const std::string& name)
    {
        const auto at = message.find("\r\n" + name + ":");
        if (at == std::string::npos)
            return "";
        const auto start = message.find_first_not_of(' ', at + name.size() + 3);
        return message.substr(start, message.find("\r\n", start) - start);
    }

private:
    std::string via() { return "Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK-hand-" + std::to_string(++branch_) + "\r\n"; }
    std::string dialog() const
    {
        return "From: \"Hand\" <sip:phone@127.0.0.1>;tag=hand-1\r\nTo: <sip:" + std::string(kMeeting) + "@127.0.0.1>" +
               (toTag_.empty() ? "" : ";tag=" + toTag_) + "\r\nCall-ID: hand-written-call@127.0.0.1\r\n";
    }
    void send(const std::string& head, const std::string& content)
    {
        tls_.write(head + "Content-Length: " + std::to_string(content.size()) + "\r\n\r\n" + content);
    }
    /// One whole message, or "" after 10 s without one.
    std::string read()
    {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        for (;;) {
            if (const auto end = buffer_.find("\r\n\r\n"); end != std::string::npos) {
                const auto length = std::stoul("0" + header(buffer_.substr(0, end + 2), "Content-Length"));
                if (buffer_.size() >= end + 4 + length) {
                    auto message = buffer_.substr(0, end + 4 + length);
                    buffer_.erase(0, end + 4 + length);
                    return message;
                }
            }
            if (std::chrono::steady_clock::now() > deadline)
                return "";
            char chunk[4096];
            const int got = tls_.readSome(chunk, sizeof chunk, std::chrono::milliseconds(500));
            if (got == 0)
                return "";
            if (got > 0)
                buffer_.append(chunk, static_cast<std::size_t>(got));
        }
    }
    static std::string body(const std::string& message) { return message.substr(message.find("\r\n\r\n") + 4); }

    test::TlsClient tls_;
    std::string buffer_, toTag_, contact_;
    int cseq_ = 0, branch_ = 0;
};

/// An offer of G.711 µ-law (or `payloadType`) over SRTP with `crypto` from port 40000.
std::string handOffer(const CryptoAttribute& crypto, unsigned payloadType = 0, unsigned version = 1)
{
    const std::string codec = payloadType == 0 ? "PCMU" : "PCMA";
    return "v=0\r\no=hand 1 " + std::to_string(version) + " IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=audio 40000 RTP/SAVP " + std::to_string(payloadType) + "\r\na=rtpmap:" + std::to_string(payloadType) + " " +
           codec + "/8000\r\na=rtcp-mux\r\na=crypto:" + formatCryptoAttribute(crypto) + "\r\n";
}

/// handOffer with a VP8 video line over SRTP with `videoCrypto` (port 40002, PLI by rtcp-fb
/// for every format, as baresip writes it), or that line with port 0.
std::string handVideoOffer(const CryptoAttribute& crypto, const CryptoAttribute& videoCrypto, unsigned version = 1,
                           bool videoOff = false)
{
    return handOffer(crypto, 0, version) + "m=video " + (videoOff ? "0" : "40002") +
           " RTP/SAVP 100\r\na=rtpmap:100 VP8/90000\r\na=fmtp:100 max-fs=3600\r\na=rtcp-fb:* nack pli\r\n"
           "a=rtcp-mux\r\na=crypto:" + formatCryptoAttribute(videoCrypto) + "\r\n";
}

/// The key in an SDP's line `index`.
std::string keyOfLine(const std::string& sdp, std::size_t index)
{
    const auto offer = parseSipOffer(sdp);
    REQUIRE(offer.streams.size() > index);
    REQUIRE(!offer.streams[index].cryptos.empty());
    return formatCryptoAttribute(offer.streams[index].cryptos.front());
}

constexpr char kPictureFastUpdate[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\" ?><media_control><vc_primitive><to_encoder><picture_fast_update/>"
    "</to_encoder></vc_primitive></media_control>";

/// The key in an answer's audio line.
std::string answeredKey(const std::string& sdp)
{
    const auto offer = parseSipOffer(sdp);
    REQUIRE(!offer.streams.empty());
    REQUIRE(!offer.streams.front().cryptos.empty());
    return formatCryptoAttribute(offer.streams.front().cryptos.front());
}

} // namespace

TEST_CASE("baresip calls a meeting over TLS with digest credentials, its SRTP opens with the key of its offer, and "
          "a hang-up from Parley reaches it",
          "[sip][baresip]")
{
    ServerFixture fixture;
    BaresipEndpoint endpoint({account(), fixture.dial(), 440, 30});
    REQUIRE(test::eventually([&] { return fixture.server->stats().callsAccepted == 1; }, 15s));
    std::string callId;
    {
        std::lock_guard lock(fixture.handler.mutex);
        const auto& call = fixture.handler.accepted.front();
        CHECK(call.target == kMeeting);
        CHECK(call.endpoint == std::optional<std::string>("room-42"));
        // The name the admin gave the endpoint, not the one its From header carries.
        CHECK(call.displayName == "Room 42 (Ward 3)");
        CHECK(call.plan.codec == AudioCodec::Opus);
        CHECK(call.sourceAddress == "127.0.0.1");
        callId = call.callId;
    }
    // The endpoint got the answer and sends audio, protected with the key it offered.
    INFO(endpoint.output());
    REQUIRE(test::eventually([&] { return fixture.handler.receiver->opened() >= 50; }, 10s));
    CHECK(fixture.handler.receiver->refused() == 0);
    // Two different keys, one per direction.
    CHECK(fixture.handler.remoteKey.substr(fixture.handler.remoteKey.find("inline:")) !=
          fixture.handler.localKey.substr(fixture.handler.localKey.find("inline:")));
    fixture.server->hangUp(callId);
    CHECK(endpoint.waitFor("session closed", 10s));
    REQUIRE(test::eventually([&] { return fixture.server->stats().callsEnded == 1; }, 5s));
    std::lock_guard lock(fixture.handler.mutex);
    REQUIRE(fixture.handler.ended.size() == 1);
    CHECK(fixture.handler.ended.front() == std::pair<std::string, std::string>(callId, "removed"));
}

TEST_CASE("A wrong password, an unknown endpoint, an unknown meeting, a plain RTP offer and SIP over plain TCP "
          "are refused",
          "[sip][baresip]")
{
    ServerFixture fixture;
    SECTION("wrong password: 403")
    {
        BaresipEndpoint endpoint({account("not-the-password"), fixture.dial(), 440, 15});
        CHECK(endpoint.waitFor("403 Forbidden", 15s));
        CHECK(fixture.server->stats().refusals["bad_credentials"] == 1);
    }
    SECTION("unknown endpoint: 403")
    {
        BaresipEndpoint endpoint({account(kPassword, ";mediaenc=srtp-mand", "room-99"), fixture.dial(), 440, 15});
        CHECK(endpoint.waitFor("403 Forbidden", 15s));
        CHECK(fixture.server->stats().refusals["bad_credentials"] == 1);
    }
    SECTION("unknown meeting: 404")
    {
        auto uri = fixture.dial();
        uri.replace(uri.find(kMeeting), 6, "999999");
        BaresipEndpoint endpoint({account(), uri, 440, 15});
        CHECK(endpoint.waitFor("404 Meeting Not Found", 15s));
        CHECK(fixture.server->stats().refusals["unknown_meeting"] == 1);
    }
    SECTION("RTP/AVP (no SRTP): 488")
    {
        BaresipEndpoint endpoint({account(kPassword, ""), fixture.dial(), 440, 15});
        CHECK(endpoint.waitFor("488 SRTP Required", 15s));
        CHECK(fixture.server->stats().refusals["no_srtp"] == 1);
    }
    SECTION("SIP over plain TCP or UDP: nothing answers it")
    {
        // baresip with a TCP account, to the SIP port: no answer, no call.
        auto tcpAccount = account();
        tcpAccount.replace(tcpAccount.find("transport=tls"), 13, "transport=tcp");
        BaresipEndpoint endpoint({tcpAccount, fixture.dial("tcp"), 440, 15});
        CHECK(endpoint.waitFor("connecting to", 10s));
        CHECK_FALSE(endpoint.waitFor("SIP Progress", 8s));
        // The same by hand: a plain SIP request over TCP gets no SIP answer (the port speaks
        // TLS only), and over UDP nothing at all.
        const std::string options = "OPTIONS sip:" + std::string(kMeeting) + "@127.0.0.1 SIP/2.0\r\n"
                                    "Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-1\r\nMax-Forwards: 70\r\n"
                                    "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:" + std::string(kMeeting) +
                                    "@127.0.0.1>\r\nCall-ID: plain-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
        for (const int type : {SOCK_STREAM, SOCK_DGRAM}) {
            const int fd = ::socket(AF_INET, type, 0);
            sockaddr_in address{};
            address.sin_family = AF_INET;
            address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            address.sin_port = htons(fixture.settings.port);
            const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
            CHECK(connected); // (a UDP socket connects without asking anyone)
            ::send(fd, options.data(), options.size(), MSG_NOSIGNAL);
            std::string reply;
            char buffer[2048];
            pollfd p{fd, POLLIN, 0};
            while (::poll(&p, 1, 2000) == 1) {
                const auto n = ::recv(fd, buffer, sizeof buffer, 0);
                if (n <= 0)
                    break;
                reply.append(buffer, static_cast<std::size_t>(n));
            }
            ::close(fd);
            CAPTURE(type, reply.size());
            CHECK(reply.find("SIP/2.0") == std::string::npos);
        }
    }
    std::lock_guard lock(fixture.handler.mutex);
    CHECK(fixture.handler.accepted.empty());
    CHECK(fixture.server->stats().callsAccepted == 0);
}

TEST_CASE("An endpoint registers over TLS with its digest credentials, a wrong password, a too brief interval and "
          "unregistering are answered as RFC 3261 says",
          "[sip][baresip]")
{
    ServerFixture fixture;
    SECTION("registered, then gone when it unregisters")
    {
        {
            BaresipEndpoint endpoint({registeringAccount(fixture.settings.port), "", 440, 30});
            INFO(endpoint.output());
            REQUIRE(test::eventually([&] { return fixture.server->registrations().size() == 1; }, 15s));
            const auto registration = fixture.server->registrations().front();
            CHECK(registration.username == "room-42");
            CHECK(registration.sourceAddress == "127.0.0.1");
            CAPTURE(registration.contact);
            // baresip makes its Contact user unique ("room-42-0x...").
            CHECK(registration.contact.rfind("sip:room-42", 0) == 0);
            CHECK(registration.contact.find("@127.0.0.1:") != std::string::npos);
            // 600 s asked for, 600 s given.
            const auto granted = registration.expiresAt - registration.registeredAt;
            CHECK(granted == std::chrono::seconds(600));
            CHECK(endpoint.waitFor("200 OK", 5s));
            CHECK(fixture.server->stats().registrations == 1);
        }
        // baresip unregisters (Expires: 0) as it quits.
        CHECK(test::eventually([&] { return fixture.server->registrations().empty(); }, 10s));
    }
    SECTION("a wrong password: 403, nothing registered")
    {
        BaresipEndpoint endpoint({registeringAccount(fixture.settings.port, "not-the-password"), "", 440, 15});
        CHECK(endpoint.waitFor("403 Forbidden", 15s));
        CHECK(fixture.server->stats().refusals["bad_credentials"] >= 1);
        CHECK(fixture.server->registrations().empty());
    }
    SECTION("an interval under a minute: 423 with Min-Expires, and baresip registers again for 60 s")
    {
        BaresipEndpoint endpoint({registeringAccount(fixture.settings.port, kPassword, 20), "", 440, 20});
        INFO(endpoint.output());
        REQUIRE(test::eventually([&] { return fixture.server->registrations().size() == 1; }, 15s));
        CHECK(fixture.server->stats().refusals["interval_too_brief"] == 1);
        const auto registration = fixture.server->registrations().front();
        CHECK(registration.expiresAt - registration.registeredAt == std::chrono::seconds(60));
    }
    SECTION("forgotten when the admin deletes the endpoint")
    {
        BaresipEndpoint endpoint({registeringAccount(fixture.settings.port), "", 440, 30});
        REQUIRE(test::eventually([&] { return fixture.server->registrations().size() == 1; }, 15s));
        fixture.server->forget("room-42");
        CHECK(fixture.server->registrations().empty());
    }
    std::lock_guard lock(fixture.handler.mutex);
    CHECK(fixture.handler.accepted.empty());
}

namespace {

/// A digest Authorization for REGISTER as room-42 with `password`, answering `challenge` (a
/// WWW-Authenticate value).
std::string registerAuthorization(const std::string& challenge, const std::string& password,
                                  const std::string& uri = "sip:127.0.0.1")
{
    // Two challenges in one second carry the same nonce: a new cnonce each time, as a phone's.
    static int answers = 0;
    const std::string cnonce = "c0ffee" + std::to_string(++answers);
    const auto field = [&](const std::string& name) {
        const auto at = challenge.find(name + "=\"");
        return challenge.substr(at + name.size() + 2, challenge.find('"', at + name.size() + 2) - at - name.size() - 2);
    };
    const auto nonce = field("nonce");
    const auto ha1 = digestHa1("room-42", "parley", password);
    // RFC 2617: MD5(HA1:nonce:nc:cnonce:qop:MD5(method:uri)); digestHa1(a, b, c) is MD5("a:b:c").
    const auto ha2 = digestHa1("REGISTER", uri.substr(0, uri.find(':')), uri.substr(uri.find(':') + 1));
    const auto response = digestHa1(ha1 + ":" + nonce + ":00000001", cnonce, "auth:" + ha2);
    return "Authorization: Digest username=\"room-42\", realm=\"parley\", nonce=\"" + nonce + "\", uri=\"" + uri +
           "\", response=\"" + response + "\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"" + cnonce + "\"\r\n";
}

} // namespace

TEST_CASE("Hostile REGISTER requests are refused with a SIP error and change nothing, the server going on",
          "[sip][hostile]")
{
    ServerFixture fixture;
    HandWrittenEndpoint peer(fixture.settings.port);
    const std::string from = "From: <sip:room-42@127.0.0.1>;tag=r1\r\n";
    const std::string to = "To: <sip:room-42@127.0.0.1>\r\n";
    const std::string contact = "Contact: <sip:room-42@127.0.0.1:5999;transport=tls>\r\n";
    // A fresh challenge for each attempt: an answer is taken once.
    const auto authorized = [&](const std::string& headers, const std::string& password = kPassword) {
        const auto [status, challenge] = peer.registerWith(from + headers);
        REQUIRE(status == 401);
        return peer.registerWith(from + headers +
                                 registerAuthorization(HandWrittenEndpoint::header(challenge, "WWW-Authenticate"), password));
    };

    SECTION("right credentials register (the helper itself is right)")
    {
        CHECK(authorized(to + contact + "Expires: 120\r\n").first == 200);
        REQUIRE(fixture.server->registrations().size() == 1);
        CHECK(fixture.server->registrations().front().expiresAt - fixture.server->registrations().front().registeredAt ==
              std::chrono::seconds(120));
    }
    SECTION("a right answer made for another request URI: 403")
    {
        const auto [status, challenge] = peer.registerWith(from + to + contact);
        REQUIRE(status == 401);
        CHECK(peer.registerWith(from + to + contact +
                                registerAuthorization(HandWrittenEndpoint::header(challenge, "WWW-Authenticate"),
                                                      kPassword, "sip:123456@127.0.0.1"))
                  .first == 403);
        CHECK(fixture.server->stats().refusals["bad_credentials"] == 1);
        CHECK(fixture.server->registrations().empty());
    }
    SECTION("another endpoint's address of record: 403")
    {
        CHECK(authorized("To: <sip:room-99@127.0.0.1>\r\n" + contact).first == 403);
        CHECK(fixture.server->stats().refusals["wrong_address_of_record"] == 1);
    }
    SECTION("a wildcard Contact without Expires 0: 400")
    {
        CHECK(authorized(to + "Contact: *\r\nExpires: 3600\r\n").first == 400);
    }
    SECTION("a Contact URI over 256 bytes: 400")
    {
        CHECK(authorized(to + "Contact: <sip:" + std::string(300, 'a') + "@127.0.0.1;transport=tls>\r\n").first == 400);
    }
    SECTION("an absurd Expires is cut to an hour, a negative or unreadable one is refused")
    {
        CHECK(authorized(to + contact + "Expires: 4294967295\r\n").first == 200);
        REQUIRE(fixture.server->registrations().size() == 1);
        CHECK(fixture.server->registrations().front().expiresAt - fixture.server->registrations().front().registeredAt ==
              std::chrono::seconds(3600));
        for (const auto* expires : {"-5", "soon", "99999999999999999999"}) {
            CAPTURE(expires);
            CHECK(authorized(to + "Contact: <sip:room-42@127.0.0.1:5999;transport=tls>;expires=" + expires + "\r\n").first ==
                  400);
        }
    }
    SECTION("no To (sofia-sip drops it, or answers 400), a wrong password, garbage Authorization: refused")
    {
        {
            HandWrittenEndpoint careless(fixture.settings.port);
            const auto status = careless.registerWith(from + contact).first;
            CHECK((status == 0 || status == 400));
        }
        CHECK(authorized(to + contact, "not-the-password").first == 403);
        CHECK(peer.registerWith(from + to + contact + "Authorization: Digest username=\"room-42\", nonce=\"x\"\r\n").first ==
              403);
        CHECK(peer.registerWith(from + to + contact + "Authorization: Digest " + std::string(5000, ',') + "\r\n").first >= 400);
        CHECK(fixture.server->registrations().empty());
    }
    // The server still answers.
    HandWrittenEndpoint again(fixture.settings.port);
    CHECK(again.registerWith(from + to + contact).first == 401);
}

TEST_CASE("Where guests may call, an endpoint is still challenged and joins under its own name, a guest joins as "
          "a guest",
          "[sip][baresip]")
{
    ServerFixture fixture(true);
    SECTION("a stored endpoint")
    {
        BaresipEndpoint endpoint({account(), fixture.dial(), 440, 15});
        REQUIRE(test::eventually([&] { return fixture.server->stats().callsAccepted == 1; }, 15s));
        std::lock_guard lock(fixture.handler.mutex);
        CHECK(fixture.handler.accepted.front().endpoint == std::optional<std::string>("room-42"));
        CHECK(fixture.handler.accepted.front().displayName == "Room 42 (Ward 3)");
    }
    SECTION("a stored endpoint with a wrong password is refused, not let in as a guest")
    {
        BaresipEndpoint endpoint({account("not-the-password"), fixture.dial(), 440, 15});
        CHECK(endpoint.waitFor("403 Forbidden", 15s));
        CHECK(fixture.server->stats().callsAccepted == 0);
    }
    SECTION("anyone else")
    {
        BaresipEndpoint endpoint({account("whatever-password", ";mediaenc=srtp-mand", "visitor"), fixture.dial(), 440, 15});
        REQUIRE(test::eventually([&] { return fixture.server->stats().callsAccepted == 1; }, 15s));
        std::lock_guard lock(fixture.handler.mutex);
        CHECK_FALSE(fixture.handler.accepted.front().endpoint.has_value());
        CHECK(fixture.handler.accepted.front().displayName == "Ward 3 Room");
    }
}

TEST_CASE("Parley rekeys a call every sip.rekey_seconds with a re-INVITE carrying a fresh key, and baresip's "
          "answer gives the call its keys, the call going on",
          "[sip][baresip][rekey]")
{
    ServerFixture fixture(false, std::chrono::seconds(2));
    BaresipEndpoint endpoint({account(), fixture.dial(), 440, 30});
    REQUIRE(test::eventually([&] { return fixture.server->stats().callsAccepted == 1; }, 15s));
    std::string callId, firstLocal;
    {
        std::lock_guard lock(fixture.handler.mutex);
        callId = fixture.handler.accepted.front().callId;
        firstLocal = fixture.handler.localKey;
    }
    INFO(endpoint.output());
    REQUIRE(test::eventually([&] { return fixture.server->stats().rekeys >= 2; }, 15s));
    std::vector<TestHandler::Rekey> rekeys;
    {
        std::lock_guard lock(fixture.handler.mutex);
        rekeys = fixture.handler.rekeyed;
    }
    REQUIRE(rekeys.size() >= 2);
    const auto keyOf = [](const CryptoAttribute& crypto) {
        const auto line = formatCryptoAttribute(crypto);
        return line.substr(line.find("inline:"));
    };
    CHECK(rekeys[0].callId == callId);
    // A fresh key of Parley's each time, never the call's first.
    CHECK(keyOf(rekeys[0].local) != firstLocal.substr(firstLocal.find("inline:")));
    CHECK(keyOf(rekeys[0].local) != keyOf(rekeys[1].local));
    CHECK(rekeys[0].local.suite == rekeys[0].remote.suite);
    CHECK(fixture.server->stats().rekeyFailures == 0);
    // baresip keeps its own key (it answers with the one it had); its audio still opens.
    const auto opened = fixture.handler.receiver->opened();
    CHECK(test::eventually([&] { return fixture.handler.receiver->opened() > opened + 25; }, 5s));
    CHECK(fixture.server->stats().activeCalls == 1);
}

TEST_CASE("An endpoint's own re-INVITE with a new key is answered with a fresh key of Parley's and gives the call "
          "both, and one that changes the codec is refused, the call going on",
          "[sip][rekey]")
{
    ServerFixture fixture(true);
    HandWrittenEndpoint endpoint(fixture.settings.port);
    const auto first = freshCrypto(1, router::SrtpProfile::Aes128CmHmacSha1_80);
    const auto [status, answer] = endpoint.invite(handOffer(first));
    REQUIRE(status == 200);
    REQUIRE(fixture.server->stats().callsAccepted == 1);

    const auto second = freshCrypto(1, router::SrtpProfile::Aes128CmHmacSha1_80);
    const auto [again, reanswer] = endpoint.invite(handOffer(second, 0, 2));
    REQUIRE(again == 200);
    CHECK(answeredKey(reanswer) != answeredKey(answer));
    {
        std::lock_guard lock(fixture.handler.mutex);
        REQUIRE(fixture.handler.rekeyed.size() == 1);
        CHECK(formatCryptoAttribute(fixture.handler.rekeyed.front().remote) == formatCryptoAttribute(second));
        CHECK(formatCryptoAttribute(fixture.handler.rekeyed.front().local) == answeredKey(reanswer));
    }
    CHECK(fixture.server->stats().rekeys == 1);

    // Another codec mid-call: refused, nothing changes.
    const auto [refused, nothing] = endpoint.invite(handOffer(freshCrypto(1, router::SrtpProfile::Aes128CmHmacSha1_80), 8, 3));
    CHECK(refused == 488);
    CHECK(fixture.server->stats().rekeys == 1);
    CHECK(fixture.server->stats().activeCalls == 1);
    std::lock_guard lock(fixture.handler.mutex);
    CHECK(fixture.handler.rekeyed.size() == 1);
    CHECK(fixture.handler.ended.empty());
}

TEST_CASE("SRTP keys and digest answers never reach the log, even with sofia-sip's message dump turned on",
          "[sip][baresip]")
{
    Poco::AutoPtr<LogCapture> capture(new LogCapture);
    capture->attach();
    ::setenv("TPORT_LOG", "1", 1);
    ::setenv("TPORT_DEBUG", "9", 1);
    ::setenv("NUA_DEBUG", "9", 1);
    {
        ServerFixture fixture;
        BaresipEndpoint endpoint({account(), fixture.dial(), 440, 30});
        REQUIRE(test::eventually([&] { return fixture.server->stats().callsAccepted == 1; }, 15s));
        REQUIRE(test::eventually([&] { return fixture.handler.receiver->opened() >= 10; }, 10s));
        const auto log = capture->text();
        // The stack did log (so the test sees its output), and withheld the messages.
        CHECK_THAT(log, Catch::Contains("event=sip.stack"));
        CHECK_THAT(log, Catch::Contains("event=sip.call_accepted"));
        const auto inlineKey = [](const std::string& line) { return line.substr(line.find("inline:") + 7); };
        CHECK_THAT(log, !Catch::Contains(inlineKey(fixture.handler.remoteKey)));
        CHECK_THAT(log, !Catch::Contains(inlineKey(fixture.handler.localKey)));
        CHECK_THAT(log, !Catch::Contains("inline:"));
        CHECK_THAT(log, !Catch::Contains("response="));
        CHECK_THAT(log, !Catch::Contains(kPassword));
    }
    ::unsetenv("TPORT_LOG");
    ::unsetenv("TPORT_DEBUG");
    ::unsetenv("NUA_DEBUG");
    capture->detach();
}

TEST_CASE("SIP over TLS negotiates TLS 1.3 with an AEAD suite, TLS 1.2 with ECDHE and AES-GCM, and refuses TLS 1.2 "
          "CBC and RSA key exchange, TLS 1.1 and 1.0",
          "[sip]")
{
    ServerFixture fixture;
    {
        test::TlsClient client(fixture.settings.port);
        CHECK(client.version() == "TLSv1.3");
        CHECK_THAT(client.cipher(), Catch::Contains("GCM") || Catch::Contains("CHACHA20"));
    }
    {
        test::TlsOptions options;
        options.maxVersion = 0x0303;
        options.cipherList = "ECDHE-ECDSA-AES128-GCM-SHA256";
        test::TlsClient client(fixture.settings.port, options);
        CHECK(client.version() == "TLSv1.2");
        CHECK(client.cipher() == "ECDHE-ECDSA-AES128-GCM-SHA256");
    }
    // Debian's own sofia-sip build took these (its cipher list is fixed in its code); the
    // patched build Parley links (installer/patches/sofia-sip-tls-policy.patch) refuses them.
    for (const char* suite : {"ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384", "AES128-GCM-SHA256"}) {
        test::TlsOptions options;
        options.maxVersion = 0x0303;
        options.cipherList = suite;
        CAPTURE(suite);
        CHECK_THROWS_AS(test::TlsClient(fixture.settings.port, options), test::TlsHandshakeError);
    }
    for (const int version : {0x0302, 0x0301}) {
        test::TlsOptions options;
        options.minVersion = options.maxVersion = version;
        options.securityLevel = 0;
        CAPTURE(version);
        CHECK_THROWS_AS(test::TlsClient(fixture.settings.port, options), test::TlsHandshakeError);
    }
    // The listener carries on.
    test::TlsClient client(fixture.settings.port);
    CHECK(client.version() == "TLSv1.3");
}

TEST_CASE("A call with VP8 video: Parley answers its video line with a key of its own per stream and the PLI it "
          "offered, renews both keys in a rekey either way, refuses a re-INVITE that drops the video, and passes "
          "keyframe requests by SIP INFO both ways",
          "[sip][video]")
{
    ServerFixture fixture(true, std::chrono::seconds(2));
    HandWrittenEndpoint endpoint(fixture.settings.port);
    const auto audioKey = freshCrypto(1, router::SrtpProfile::Aes128CmHmacSha1_80);
    const auto videoKey = freshCrypto(1, router::SrtpProfile::Aes128CmHmacSha1_80);
    const auto [status, answer] = endpoint.invite(handVideoOffer(audioKey, videoKey));
    REQUIRE(status == 200);
    const auto answered = parseSipOffer(answer);
    REQUIRE(answered.streams.size() == 2);
    CHECK(answered.streams[1].kind == "video");
    CHECK(answered.streams[1].port == 40010);
    CHECK_THAT(answer, Catch::Contains("a=rtpmap:100 VP8/90000\r\n"));
    CHECK_THAT(answer, Catch::Contains("a=rtcp-fb:100 nack pli\r\n"));
    CHECK_THAT(answer, !Catch::Contains("ccm fir")); // only what it offered
    CHECK(keyOfLine(answer, 1) != keyOfLine(answer, 0));
    CHECK(keyOfLine(answer, 1) != formatCryptoAttribute(videoKey));
    std::string callId;
    {
        std::lock_guard lock(fixture.handler.mutex);
        REQUIRE(fixture.handler.accepted.size() == 1);
        REQUIRE(fixture.handler.accepted.front().plan.video);
        CHECK(fixture.handler.accepted.front().plan.video->codec == VideoCodec::Vp8);
        CHECK(fixture.handler.accepted.front().plan.video->pli);
        callId = fixture.handler.accepted.front().callId;
    }
    CHECK(fixture.server->stats().videoCalls == 1);

    // The endpoint asks for a keyframe by INFO: it reaches the call. Another INFO body (DTMF
    // by INFO, which Parley does not take) is answered and changes nothing.
    CHECK(endpoint.info("application/media_control+xml", kPictureFastUpdate) == 200);
    CHECK(endpoint.info("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n") == 200);
    CHECK(endpoint.info("application/media_control+xml", "<media_control/>") == 200);
    REQUIRE(test::eventually([&] {
        std::lock_guard lock(fixture.handler.mutex);
        return !fixture.handler.keyframeRequests.empty();
    }, 5s));
    {
        std::lock_guard lock(fixture.handler.mutex);
        CHECK(fixture.handler.keyframeRequests == std::vector<std::string>{callId});
    }
    CHECK(fixture.server->stats().keyframeInfosReceived == 1);

    // Parley asks the endpoint by INFO (for an endpoint that offered no RTCP feedback).
    fixture.server->requestKeyframe(callId);
    const auto request = endpoint.awaitRequest("INFO");
    CHECK_THAT(request, Catch::Contains("Content-Type: application/media_control+xml"));
    CHECK_THAT(HandWrittenEndpoint::bodyOf(request), Catch::Contains("<picture_fast_update/>"));
    REQUIRE(test::eventually([&] { return fixture.server->stats().keyframeInfosSent == 1; }, 5s));

    // The endpoint rekeys: both streams get new keys, each way.
    const auto newAudio = freshCrypto(1, router::SrtpProfile::Aes128CmHmacSha1_80);
    const auto newVideo = freshCrypto(1, router::SrtpProfile::Aes128CmHmacSha1_80);
    const auto [again, reanswer] = endpoint.invite(handVideoOffer(newAudio, newVideo, 2));
    REQUIRE(again == 200);
    CHECK(keyOfLine(reanswer, 1) != keyOfLine(answer, 1));
    {
        std::lock_guard lock(fixture.handler.mutex);
        REQUIRE(fixture.handler.rekeyed.size() == 1);
        CHECK(fixture.handler.rekeyed.front().remoteVideo == formatCryptoAttribute(newVideo));
        CHECK(fixture.handler.rekeyed.front().localVideo == keyOfLine(reanswer, 1));
    }
    // A re-INVITE that puts the call on hold (the media would not follow), or drops the video
    // (or would add it to a call without), is refused; the call goes on as it was.
    auto hold = handVideoOffer(newAudio, newVideo, 3);
    hold.insert(hold.find("a=rtcp-mux"), "a=sendonly\r\n");
    CHECK(endpoint.invite(hold).first == 488);
    const auto [dropped, nothing] = endpoint.invite(handVideoOffer(newAudio, newVideo, 4, true));
    CHECK(dropped == 488);
    CHECK(fixture.server->stats().activeCalls == 1);
    std::lock_guard lock(fixture.handler.mutex);
    CHECK(fixture.handler.rekeyed.size() == 1);
}

TEST_CASE("Parley's periodic rekey of a video call renews the video's key as well as the audio's", "[sip][video][rekey]")
{
    ServerFixture fixture(true, std::chrono::seconds(2));
    HandWrittenEndpoint endpoint(fixture.settings.port);
    const auto [status, answer] = endpoint.invite(handVideoOffer(freshCrypto(1, router::SrtpProfile::Aes128CmHmacSha1_80),
                                                                 freshCrypto(1, router::SrtpProfile::Aes128CmHmacSha1_80)));
    REQUIRE(status == 200);
    // Its answer to Parley's re-INVITE: new keys of its own, under the tag Parley's offer used.
    const auto newAudio = freshCrypto(1, router::SrtpProfile::Aes128CmHmacSha1_80);
    const auto newVideo = freshCrypto(1, router::SrtpProfile::Aes128CmHmacSha1_80);
    const auto reinvite = endpoint.awaitRequest("INVITE", handVideoOffer(newAudio, newVideo, 2));
    REQUIRE(!reinvite.empty());
    const auto offered = HandWrittenEndpoint::bodyOf(reinvite);
    CHECK(keyOfLine(offered, 0) != keyOfLine(answer, 0));
    CHECK(keyOfLine(offered, 1) != keyOfLine(answer, 1));
    CHECK(parseSipOffer(offered).streams[1].port == 40010); // the same video port
    REQUIRE(test::eventually([&] { return fixture.server->stats().rekeys == 1; }, 5s));
    std::lock_guard lock(fixture.handler.mutex);
    REQUIRE(fixture.handler.rekeyed.size() == 1);
    CHECK(formatCryptoAttribute(fixture.handler.rekeyed.front().remote) == formatCryptoAttribute(newAudio));
    CHECK(fixture.handler.rekeyed.front().remoteVideo == formatCryptoAttribute(newVideo));
    CHECK(fixture.handler.rekeyed.front().localVideo == keyOfLine(offered, 1));
    CHECK(fixture.server->stats().rekeyFailures == 0);
}
