#include "udp_socket.h"

#include "socket_address.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace parley::router {

std::string Endpoint::toString() const
{
    char text[INET6_ADDRSTRLEN] = "?";
    if (address.ss_family == AF_INET) {
        const auto& a = reinterpret_cast<const sockaddr_in&>(address);
        inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
        return std::string(text) + ":" + std::to_string(ntohs(a.sin_port));
    }
    const auto& a = reinterpret_cast<const sockaddr_in6&>(address);
    inet_ntop(AF_INET6, &a.sin6_addr, text, sizeof text);
    return "[" + std::string(text) + "]:" + std::to_string(ntohs(a.sin6_port));
}

UdpSocket::UdpSocket(const std::string& address, std::uint16_t port)
{
    const auto [storage, length] = socketAddress(address, port);
    fd_ = ::socket(storage.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
        throw std::runtime_error(std::string("cannot create the media socket: ") + std::strerror(errno));
    // Room for bursts: a keyframe fanned out to 50 subscribers is hundreds of datagrams.
    const int bufferBytes = 4 * 1024 * 1024;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bufferBytes, sizeof bufferBytes);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &bufferBytes, sizeof bufferBytes);
    // The kernel's arrival time of each datagram: a batch read at once holds datagrams that
    // arrived over milliseconds, and the feedback for congestion control needs each one.
    const int on = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&storage), length) != 0) {
        const auto error = errno;
        ::close(fd_);
        throw std::runtime_error("cannot bind the media port " + address + ":" + std::to_string(port) +
                                 ": " + std::strerror(error));
    }
    port_ = boundPort(fd_);
}

UdpSocket::~UdpSocket()
{
    if (fd_ >= 0)
        ::close(fd_);
}

ReceiveBatch::ReceiveBatch()
{
    for (std::size_t i = 0; i < kSlots; ++i) {
        vectors_[i] = {buffers_[i].data(), kSlotBytes};
        headers_[i] = {};
        headers_[i].msg_hdr.msg_iov = &vectors_[i];
        headers_[i].msg_hdr.msg_iovlen = 1;
        headers_[i].msg_hdr.msg_name = &addresses_[i];
    }
}

namespace {

std::int64_t micros(const timespec& t)
{
    return std::int64_t(t.tv_sec) * 1'000'000 + t.tv_nsec / 1000;
}

} // namespace

std::size_t ReceiveBatch::receive(int fd)
{
    for (std::size_t i = 0; i < kSlots; ++i) {
        headers_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        headers_[i].msg_hdr.msg_control = controls_[i].data();
        headers_[i].msg_hdr.msg_controllen = controls_[i].size();
    }
    const int received = ::recvmmsg(fd, headers_.data(), kSlots, MSG_DONTWAIT, nullptr);
    if (received <= 0)
        return 0;
    // Kernel times are on the wall clock; the router's on the steady one. One pair of
    // readings per batch maps the one onto the other.
    timespec wall{}, steady{};
    ::clock_gettime(CLOCK_REALTIME, &wall);
    ::clock_gettime(CLOCK_MONOTONIC, &steady);
    const auto steadyNow = micros(steady);
    const auto wallToSteady = steadyNow - micros(wall);
    for (std::size_t i = 0; i < static_cast<std::size_t>(received); ++i) {
        auto& header = headers_[i].msg_hdr;
        // A datagram larger than a slot is truncated by the kernel: mark it empty (dropped).
        lengths_[i] = (header.msg_flags & MSG_TRUNC) ? 0 : headers_[i].msg_len;
        arrivals_[i] = steadyNow;
        for (auto* message = CMSG_FIRSTHDR(&header); message; message = CMSG_NXTHDR(&header, message))
            if (message->cmsg_level == SOL_SOCKET && message->cmsg_type == SCM_TIMESTAMPNS) {
                timespec stamp{};
                std::memcpy(&stamp, CMSG_DATA(message), sizeof stamp);
                // Never later than now (a wall clock step would say so).
                arrivals_[i] = std::min(steadyNow, micros(stamp) + wallToSteady);
            }
    }
    return static_cast<std::size_t>(received);
}

SendBatch::SendBatch(int fd) : fd_(fd) {}

std::span<std::uint8_t> SendBatch::slot()
{
    if (count_ == kSlots)
        flush();
    return {buffers_[count_].data(), kSlotBytes};
}

void SendBatch::commit(std::size_t length, const Endpoint& to)
{
    if (to.connection != 0) {
        if (framed_)
            framed_->sendFramed(to.connection, {buffers_[count_].data(), length});
        return; // the slot is free again
    }
    destinations_[count_] = to;
    vectors_[count_] = {buffers_[count_].data(), length};
    headers_[count_] = {};
    headers_[count_].msg_hdr.msg_iov = &vectors_[count_];
    headers_[count_].msg_hdr.msg_iovlen = 1;
    headers_[count_].msg_hdr.msg_name = &destinations_[count_].address;
    headers_[count_].msg_hdr.msg_namelen = destinations_[count_].length;
    ++count_;
}

std::size_t SendBatch::flush()
{
    std::size_t sent = 0;
    while (sent < count_) {
        const int result = ::sendmmsg(fd_, headers_.data() + sent, static_cast<unsigned>(count_ - sent), 0);
        if (result <= 0) {
            if (result < 0 && errno == EINTR)
                continue;
            // A full socket buffer or an unreachable peer: drop the datagram that failed
            // (UDP would lose it anyway) and go on sending the rest of the batch.
            ++sent;
            continue;
        }
        sent += static_cast<std::size_t>(result);
    }
    const auto total = count_;
    count_ = 0;
    return total;
}

} // namespace parley::router
