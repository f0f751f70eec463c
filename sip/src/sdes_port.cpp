#include <parley/sip/sdes_port.h>

#include <parley/router/packet_kind.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace parley::sip {

SdesPort::SdesPort(const std::string& bindAddress, const std::string& remoteAddress, std::uint16_t remotePort,
                   const CryptoAttribute& remote, const CryptoAttribute& local)
    : fromEndpoint_(std::make_unique<router::SrtpSession>(remote.suite, router::SrtpSession::Direction::Inbound,
                                                          remote.key.bytes())),
      toEndpoint_(std::make_unique<router::SrtpSession>(local.suite, router::SrtpSession::Direction::Outbound,
                                                        local.key.bytes())),
      remoteCrypto_(remote)
{
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
        throw std::runtime_error(std::string("cannot open a UDP socket for a SIP call: ") + std::strerror(errno));
    sockaddr_in bound{};
    bound.sin_family = AF_INET;
    if (inet_pton(AF_INET, bindAddress.c_str(), &bound.sin_addr) != 1 ||
        ::bind(fd_, reinterpret_cast<const sockaddr*>(&bound), sizeof bound) != 0) {
        const std::string why = std::strerror(errno);
        ::close(fd_);
        throw std::runtime_error("cannot open a UDP port on " + bindAddress + " for a SIP call's media: " + why);
    }
    socklen_t length = sizeof bound;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &length);
    port_ = ntohs(bound.sin_port);

    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(remotePort);
    if (remotePort != 0 && inet_pton(AF_INET, remoteAddress.c_str(), &to.sin_addr) == 1 && to.sin_addr.s_addr != 0) {
        std::memcpy(&endpointAddress_, &to, sizeof to);
        endpointAddressLength_ = sizeof to;
    }
}

SdesPort::~SdesPort()
{
    ::close(fd_);
}

void SdesPort::stageKeys(const CryptoAttribute& remote, const CryptoAttribute& local)
{
    auto to = std::make_unique<router::SrtpSession>(local.suite, router::SrtpSession::Direction::Outbound,
                                                    local.key.bytes());
    const auto& latest = newRemoteCrypto_ ? *newRemoteCrypto_ : remoteCrypto_;
    if (!(remote.key == latest.key) || remote.suite != latest.suite) {
        newFromEndpoint_ = std::make_unique<router::SrtpSession>(remote.suite, router::SrtpSession::Direction::Inbound,
                                                                 remote.key.bytes());
        newRemoteCrypto_ = remote;
    }
    newToEndpoint_ = std::move(to);
}

void SdesPort::takeKeys(std::int64_t nowMicros)
{
    if (newFromEndpoint_) {
        previousFromEndpoint_ = std::move(fromEndpoint_);
        fromEndpoint_ = std::move(newFromEndpoint_);
        remoteCrypto_ = std::move(*newRemoteCrypto_);
        newRemoteCrypto_.reset();
        previousUntil_ = nowMicros + std::chrono::duration_cast<std::chrono::microseconds>(kRekeyOverlap).count();
    }
    if (newToEndpoint_) {
        // A key not confirmed yet is never the one to go back to: the one before it stays.
        if (!previousToEndpoint_)
            previousToEndpoint_ = std::move(toEndpoint_);
        toEndpoint_ = std::move(newToEndpoint_);
    }
}

bool SdesPort::revertOutbound()
{
    if (!previousToEndpoint_)
        return false;
    toEndpoint_ = std::move(previousToEndpoint_);
    return true;
}

void SdesPort::onReadable(router::ReceiveBatch& batch, const Receive& receive, std::int64_t nowMicros)
{
    // A full batch may leave more behind: read again until one comes back short.
    for (std::size_t count = router::ReceiveBatch::kSlots; count == router::ReceiveBatch::kSlots;) {
        count = batch.receive(fd_);
        for (std::size_t i = 0; i < count; ++i) {
            const auto datagram = batch.datagram(i);
            const auto kind = router::classify(datagram);
            const bool rtp = kind == router::PacketKind::Rtp;
            const auto plain = rtp || kind == router::PacketKind::Rtcp ? unprotect(datagram, rtp, nowMicros) : 0;
            if (plain == 0) {
                rejected_.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            const auto& from = batch.address(i);
            const auto fromLength = batch.addressLength(i);
            if (fromLength != endpointAddressLength_ || std::memcmp(&from, &endpointAddress_, fromLength) != 0) {
                endpointAddress_ = from;
                endpointAddressLength_ = fromLength;
            }
            receive(datagram.first(plain), rtp);
        }
    }
}

std::size_t SdesPort::unprotect(std::span<std::uint8_t> datagram, bool rtp, std::int64_t nowMicros)
{
    if (previousFromEndpoint_ && nowMicros >= previousUntil_)
        previousFromEndpoint_.reset();
    const bool second = previousFromEndpoint_ && datagram.size() <= trialCopy_.size();
    if (second)
        std::memcpy(trialCopy_.data(), datagram.data(), datagram.size());
    const auto open = [&](router::SrtpSession& session) {
        return rtp ? session.unprotectRtp(datagram.data(), datagram.size())
                   : session.unprotectRtcp(datagram.data(), datagram.size());
    };
    if (const auto plain = open(*fromEndpoint_); plain > 0 || !second)
        return plain;
    std::memcpy(datagram.data(), trialCopy_.data(), datagram.size());
    const auto plain = open(*previousFromEndpoint_);
    if (plain > 0)
        previousKeyPackets_.fetch_add(1, std::memory_order_relaxed);
    return plain;
}

bool SdesPort::sendRtp(std::uint8_t* buffer, std::size_t length, std::size_t capacity)
{
    if (endpointAddressLength_ == 0)
        return false;
    const auto protectedLength = toEndpoint_->protectRtp(buffer, length, capacity);
    return protectedLength > 0 && send(buffer, protectedLength);
}

bool SdesPort::sendRtcp(std::uint8_t* buffer, std::size_t length, std::size_t capacity)
{
    if (endpointAddressLength_ == 0)
        return false;
    const auto protectedLength = toEndpoint_->protectRtcp(buffer, length, capacity);
    return protectedLength > 0 && send(buffer, protectedLength);
}

bool SdesPort::send(const std::uint8_t* buffer, std::size_t length)
{
    return ::sendto(fd_, buffer, length, 0, reinterpret_cast<const sockaddr*>(&endpointAddress_),
                    endpointAddressLength_) > 0;
}

} // namespace parley::sip
