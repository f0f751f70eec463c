#pragma once

#include "endpoint.h"

#include <parley/router/receive_batch.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include <sys/socket.h>
#include <time.h>

namespace parley::router {

/// The router's one UDP socket, non-blocking, with batched receive and send
/// (recvmmsg/sendmmsg). Closed on destruction.
class UdpSocket
{
public:
    /// Binds `address`:`port` (port 0: any free port). Throws std::runtime_error naming the
    /// address when that fails.
    UdpSocket(const std::string& address, std::uint16_t port);
    ~UdpSocket();
    UdpSocket(const UdpSocket&) = delete;
    UdpSocket& operator=(const UdpSocket&) = delete;

    int descriptor() const { return fd_; }
    std::uint16_t port() const { return port_; }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

/// Where datagram `i` of a batch came from.
inline Endpoint endpointOf(const ReceiveBatch& batch, std::size_t i)
{
    return Endpoint::from(batch.address(i), batch.addressLength(i));
}

/// Datagrams waiting to go out, written into fixed slots and sent with sendmmsg.
class SendBatch
{
public:
    static constexpr std::size_t kSlots = 256;
    static constexpr std::size_t kSlotBytes = 2048;

    explicit SendBatch(int fd);

    /// A slot to fill; the caller writes at most kSlotBytes and then commits. Flushes first
    /// when every slot is taken.
    std::span<std::uint8_t> slot();
    /// Queues what was written into the slot for `to`; for a TCP endpoint it goes to the
    /// framed sink at once instead.
    void commit(std::size_t length, const Endpoint& to);
    /// Where packets for TCP endpoints go (ICE-TCP); none: they are dropped.
    void setFramedSink(FramedSink* sink) { framed_ = sink; }
    /// Sends everything queued and empties the batch. A datagram the kernel refuses (full
    /// socket buffer, unreachable peer) is dropped and the rest are still sent. Returns how
    /// many datagrams were queued, not how many the kernel took.
    std::size_t flush();
    std::size_t pending() const { return count_; }

private:
    int fd_;
    FramedSink* framed_ = nullptr;
    std::size_t count_ = 0;
    std::array<std::array<std::uint8_t, kSlotBytes>, kSlots> buffers_;
    std::array<Endpoint, kSlots> destinations_;
    std::array<iovec, kSlots> vectors_;
    std::array<mmsghdr, kSlots> headers_;
};

} // namespace parley::router
