#include <parley/sip/router_leg.h>

#include <parley/router/packet_kind.h>
#include <parley/router/stun_message.h>

#include <openssl/rand.h>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace parley::sip {
namespace {

constexpr std::int64_t kCheckRetryMicros = 100'000;
constexpr std::int64_t kConsentMicros = 2'500'000;
constexpr std::int64_t kConnectMicros = 20'000'000;
/// Without an answer to consent checks for this long the router is gone (RFC 7675: 30 s).
constexpr std::int64_t kConsentLostMicros = 30'000'000;

std::string randomIceToken(std::size_t length)
{
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string token(length, 'A');
    std::array<unsigned char, 64> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(length)) != 1)
        throw std::runtime_error("OpenSSL's random generator failed");
    for (std::size_t i = 0; i < length; ++i)
        token[i] = kAlphabet[bytes[i] & 63];
    return token;
}

} // namespace

RouterAnswer readRouterAnswer(const std::string& sdp)
{
    RouterAnswer answer;
    std::istringstream lines(sdp);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (answer.iceUfrag.empty() && line.rfind("a=ice-ufrag:", 0) == 0)
            answer.iceUfrag = line.substr(12);
        else if (answer.icePwd.empty() && line.rfind("a=ice-pwd:", 0) == 0)
            answer.icePwd = line.substr(10);
        else if (answer.fingerprint.empty() && line.rfind("a=fingerprint:", 0) == 0)
            answer.fingerprint = line.substr(14);
        else if (answer.port == 0 && line.rfind("a=candidate:", 0) == 0) {
            std::istringstream words(line.substr(12));
            std::string foundation, component, transport, priority, host;
            int port = 0;
            if (words >> foundation >> component >> transport >> priority >> host >> port && transport == "udp" &&
                port > 0 && port < 65536) {
                answer.address = host;
                answer.port = static_cast<std::uint16_t>(port);
            }
        }
    }
    if (answer.iceUfrag.empty() || answer.icePwd.empty() || answer.fingerprint.empty())
        throw std::runtime_error("the router's answer has no ICE credentials or fingerprint");
    if (answer.port == 0)
        throw std::runtime_error("the router's answer has no UDP candidate");
    return answer;
}

RouterLeg::RouterLeg(const router::DtlsContext& context, std::string fingerprint)
    : iceUfrag_(randomIceToken(8)), icePwd_(randomIceToken(24)), fingerprint_(std::move(fingerprint)),
      context_(context)
{
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
        throw std::runtime_error(std::string("cannot open a UDP socket towards the media router: ") +
                                 std::strerror(errno));
}

RouterLeg::~RouterLeg()
{
    ::close(fd_);
}

void RouterLeg::fail(const std::string& why)
{
    if (failure_.empty())
        failure_ = why;
}

void RouterLeg::connect(const RouterAnswer& answer, std::int64_t nowMicros)
{
    if (started_)
        return;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(answer.port);
    if (inet_pton(AF_INET, answer.address.c_str(), &to.sin_addr) != 1)
        throw std::runtime_error("the media router's address " + answer.address + " is not IPv4");
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0)
        throw std::runtime_error("cannot reach the media router at " + answer.address + ": " + std::strerror(errno));
    routerUfrag_ = answer.iceUfrag;
    routerPwd_ = answer.icePwd;
    dtls_ = std::make_unique<router::DtlsTransport>(context_, answer.fingerprint,
                                                    [this](std::span<const std::uint8_t> d) { send(d); });
    started_ = true;
    nextCheck_ = nowMicros;
    deadline_ = nowMicros + kConnectMicros;
    lastConsent_ = nowMicros;
}

void RouterLeg::send(std::span<const std::uint8_t> datagram)
{
    // A full socket buffer drops the datagram, as the network would.
    (void)::send(fd_, datagram.data(), datagram.size(), 0);
}

void RouterLeg::sendCheck(std::int64_t nowMicros)
{
    std::array<std::uint8_t, 12> transaction{};
    RAND_bytes(transaction.data(), static_cast<int>(transaction.size()));
    std::uint8_t request[256];
    const auto length =
        router::writeStunBindingRequest(request, transaction, routerUfrag_ + ":" + iceUfrag_, routerPwd_, true);
    send({request, length});
    nextCheck_ = nowMicros + (iceConfirmed_ ? kConsentMicros : kCheckRetryMicros);
}

std::int64_t RouterLeg::service(std::int64_t nowMicros)
{
    if (!started_ || !failure_.empty())
        return nowMicros + 1'000'000;
    if (nowMicros >= nextCheck_)
        sendCheck(nowMicros);
    if (nowMicros - lastConsent_ > kConsentLostMicros)
        fail("the media router answered no consent check for 30 s");
    if (outbound_)
        return nextCheck_;
    if (nowMicros > deadline_)
        fail(iceConfirmed_ ? "the DTLS handshake with the media router did not complete in 20 s"
                           : "the media router answered no ICE check in 20 s");
    if (iceConfirmed_ && !dtlsStarted_) {
        dtlsStarted_ = true;
        dtls_->start();
        nextDtlsTimer_ = nowMicros + kCheckRetryMicros;
    } else if (dtlsStarted_ && nowMicros >= nextDtlsTimer_) {
        dtls_->onTimer();
        nextDtlsTimer_ = nowMicros + kCheckRetryMicros;
    }
    if (dtls_->state() == router::DtlsTransport::State::Failed)
        fail("DTLS with the media router: " + dtls_->failure());
    if (dtls_->state() == router::DtlsTransport::State::Connected) {
        const auto& keys = *dtls_->keys();
        outbound_ = std::make_unique<router::SrtpSession>(keys.profile, router::SrtpSession::Direction::Outbound,
                                                          keys.local);
        inbound_ = std::make_unique<router::SrtpSession>(keys.profile, router::SrtpSession::Direction::Inbound,
                                                         keys.remote);
        return nextCheck_;
    }
    return std::min(nextCheck_, nextDtlsTimer_);
}

void RouterLeg::onReadable(const Receive& receive)
{
    std::array<std::uint8_t, 1500 + router::kSrtpMaxTrailer> buffer{};
    for (;;) {
        const auto got = ::recv(fd_, buffer.data(), buffer.size(), 0);
        if (got <= 0)
            return;
        std::span<std::uint8_t> datagram(buffer.data(), static_cast<std::size_t>(got));
        switch (router::classify(datagram)) {
        case router::PacketKind::Stun: {
            router::StunMessage message;
            if (router::parseStun(datagram, message) == router::StunParseResult::Ok &&
                message.type == router::StunMessage::kBindingSuccess &&
                router::stunIntegrityValid(datagram, message, routerPwd_)) {
                iceConfirmed_ = true;
                lastConsent_ = std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count();
            }
            break;
        }
        case router::PacketKind::Dtls:
            if (dtls_)
                dtls_->receive(datagram);
            break;
        case router::PacketKind::Rtp:
        case router::PacketKind::Rtcp: {
            if (!inbound_)
                break;
            const bool rtcp = router::classify(datagram) == router::PacketKind::Rtcp;
            const auto plain = rtcp ? inbound_->unprotectRtcp(datagram.data(), datagram.size())
                                    : inbound_->unprotectRtp(datagram.data(), datagram.size());
            if (plain == 0) {
                ++authenticationFailures_;
                break;
            }
            receive(datagram.first(plain), rtcp);
            break;
        }
        case router::PacketKind::Unknown:
            break;
        }
    }
}

void RouterLeg::sendRtp(std::uint8_t* buffer, std::size_t length, std::size_t capacity)
{
    if (!outbound_)
        return;
    if (const auto protectedLength = outbound_->protectRtp(buffer, length, capacity))
        send({buffer, protectedLength});
}

void RouterLeg::sendRtcp(std::uint8_t* buffer, std::size_t length, std::size_t capacity)
{
    if (!outbound_)
        return;
    if (const auto protectedLength = outbound_->protectRtcp(buffer, length, capacity))
        send({buffer, protectedLength});
}

} // namespace parley::sip
