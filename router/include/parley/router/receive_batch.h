#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <sys/socket.h>
#include <time.h>

namespace parley::router {

/// Fixed buffers for one recvmmsg call: `kSlots` datagrams of up to `kSlotBytes`. The router's
/// workers read their ports with it, and so does each SIP call's media thread.
class ReceiveBatch
{
public:
    static constexpr std::size_t kSlots = 32;
    static constexpr std::size_t kSlotBytes = 2048;

    ReceiveBatch();
    /// Receives what is waiting on `fd` (without blocking); returns how many datagrams
    /// arrived. A datagram larger than a slot comes out empty.
    std::size_t receive(int fd);
    std::span<std::uint8_t> datagram(std::size_t i) { return {buffers_[i].data(), lengths_[i]}; }
    /// When datagram `i` arrived, in microseconds on the steady clock (the kernel's time
    /// stamp where the socket asked for them with SO_TIMESTAMPNS; the time of the read else).
    std::int64_t arrivalMicros(std::size_t i) const { return arrivals_[i]; }
    /// Its sender's address.
    const sockaddr_storage& address(std::size_t i) const { return addresses_[i]; }
    socklen_t addressLength(std::size_t i) const { return headers_[i].msg_hdr.msg_namelen; }

private:
    std::array<std::array<std::uint8_t, kSlotBytes>, kSlots> buffers_;
    std::array<sockaddr_storage, kSlots> addresses_;
    std::array<iovec, kSlots> vectors_;
    std::array<mmsghdr, kSlots> headers_;
    std::array<std::size_t, kSlots> lengths_{};
    std::array<std::array<std::uint8_t, CMSG_SPACE(sizeof(timespec))>, kSlots> controls_{};
    std::array<std::int64_t, kSlots> arrivals_{};
};

} // namespace parley::router
