#include <parley/sip/router_leg.h>

#include <parley/router/packet_kind.h>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace parley::sip {

RouterLeg::RouterLeg(const router::DtlsContext& context)
    : client_(context, [this](std::span<const std::uint8_t> datagram) { send(datagram); })
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

void RouterLeg::connect(const router::SdpAnswerTransport& router, std::int64_t nowMicros)
{
    if (client_.started())
        return;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(router.port));
    if (inet_pton(AF_INET, router.address.c_str(), &to.sin_addr) != 1)
        throw std::runtime_error("the media router's address " + router.address + " is not IPv4");
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0)
        throw std::runtime_error("cannot reach the media router at " + router.address + ": " + std::strerror(errno));
    client_.start(router, nowMicros);
}

void RouterLeg::send(std::span<const std::uint8_t> datagram)
{
    // A full socket buffer drops the datagram, as the network would.
    (void)::send(fd_, datagram.data(), datagram.size(), 0);
}

void RouterLeg::onReadable(router::ReceiveBatch& batch, const Receive& receive)
{
    // A full batch may leave more behind: read again until one comes back short.
    for (std::size_t count = router::ReceiveBatch::kSlots; count == router::ReceiveBatch::kSlots;) {
        count = batch.receive(fd_);
        for (std::size_t i = 0; i < count; ++i)
            onDatagram(batch.datagram(i), batch.arrivalMicros(i), receive);
    }
}

void RouterLeg::onDatagram(std::span<std::uint8_t> datagram, std::int64_t arrivalMicros, const Receive& receive)
{
    const auto kind = router::classify(datagram);
    if (kind == router::PacketKind::Stun) {
        client_.onStun(datagram, arrivalMicros);
    } else if (kind == router::PacketKind::Dtls) {
        client_.onDtls(datagram);
    } else if ((kind == router::PacketKind::Rtp || kind == router::PacketKind::Rtcp) && client_.connected()) {
        const bool rtcp = kind == router::PacketKind::Rtcp;
        const auto plain = rtcp ? client_.inbound()->unprotectRtcp(datagram.data(), datagram.size())
                                : client_.inbound()->unprotectRtp(datagram.data(), datagram.size());
        if (plain == 0)
            authenticationFailures_.fetch_add(1, std::memory_order_relaxed);
        else
            receive(datagram.first(plain), rtcp);
    }
}

void RouterLeg::sendRtp(std::uint8_t* buffer, std::size_t length, std::size_t capacity)
{
    if (!client_.connected())
        return;
    if (const auto protectedLength = client_.outbound()->protectRtp(buffer, length, capacity))
        send({buffer, protectedLength});
}

void RouterLeg::sendRtcp(std::uint8_t* buffer, std::size_t length, std::size_t capacity)
{
    if (!client_.connected())
        return;
    if (const auto protectedLength = client_.outbound()->protectRtcp(buffer, length, capacity))
        send({buffer, protectedLength});
}

} // namespace parley::sip
