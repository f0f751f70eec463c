#include "tcp_media_server.h"

#include "steady_micros.h"

#include "socket_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace parley::router {
namespace {

/// epoll data for the listening socket (connections use their number, never 0).
constexpr std::uint64_t kListenerTag = 0;
constexpr int kEventsPerPoll = 64;
constexpr std::size_t kReadBytes = 16 * 1024;
constexpr std::size_t kInitialQueueBytes = 16 * 1024;


} // namespace

TcpMediaServer::TcpMediaServer(const std::string& address, std::uint16_t port)
{
    const auto [storage, length] = socketAddress(address, port);
    listener_ = ::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listener_ < 0)
        throw std::runtime_error(std::string("cannot create the media TCP socket: ") + std::strerror(errno));
    const int on = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (::bind(listener_, reinterpret_cast<const sockaddr*>(&storage), length) != 0 || ::listen(listener_, 128) != 0) {
        const auto error = errno;
        ::close(listener_);
        throw std::runtime_error("cannot listen on the media TCP port " + address + ":" + std::to_string(port) + ": " +
                                 std::strerror(error));
    }
    port_ = boundPort(listener_);
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) {
        ::close(listener_);
        throw std::runtime_error("cannot create the media TCP poller");
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = kListenerTag;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, listener_, &event);
}

TcpMediaServer::~TcpMediaServer()
{
    for (auto& [id, connection] : connections_)
        ::close(connection->fd);
    ::close(epoll_);
    ::close(listener_);
}

void TcpMediaServer::poll(const FrameHandler& frame, const ClosedHandler& closed)
{
    epoll_event events[kEventsPerPoll];
    const int ready = ::epoll_wait(epoll_, events, kEventsPerPoll, 0);
    for (int i = 0; i < ready; ++i) {
        const auto tag = events[i].data.u64;
        if (tag == kListenerTag) {
            accept();
            continue;
        }
        const auto id = static_cast<std::uint32_t>(tag);
        const auto found = connections_.find(id);
        if (found == connections_.end())
            continue;
        auto& c = *found->second;
        bool keep = !(events[i].events & (EPOLLERR | EPOLLHUP));
        if (keep && (events[i].events & EPOLLIN))
            keep = read(c, frame);
        if (keep && (events[i].events & EPOLLOUT))
            keep = write(c);
        // The frame handler may have closed nothing, but look the connection up again: it
        // is ours alone, so it is still there unless we close it now.
        if (!keep)
            close(id, closed);
    }
}

void TcpMediaServer::accept()
{
    for (;;) {
        sockaddr_storage peer{};
        socklen_t length = sizeof peer;
        const int fd = ::accept4(listener_, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; // EAGAIN, or an error on a connection that went already
        if (connections_.size() >= kMaxConnections) {
            ::close(fd);
            continue;
        }
        const int on = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        auto connection = std::make_unique<Connection>();
        connection->fd = fd;
        const auto id = nextId_++;
        if (nextId_ == 0)
            nextId_ = 1;
        connection->endpoint = Endpoint::from(peer, length);
        connection->endpoint.connection = id;
        connection->queued.reserve(kInitialQueueBytes);
        connection->lastReceived = std::chrono::steady_clock::now();
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u64 = id;
        if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) != 0) {
            ::close(fd);
            continue;
        }
        connections_[id] = std::move(connection);
    }
}

bool TcpMediaServer::read(Connection& c, const FrameHandler& frame)
{
    std::uint8_t buffer[kReadBytes];
    for (;;) {
        const auto received = ::recv(c.fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (received == 0)
            return false; // closed by the peer
        if (received < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        c.lastReceived = std::chrono::steady_clock::now();
        const auto arrival = steadyMicros();
        const auto endpoint = c.endpoint;
        if (!c.deframer.push({buffer, static_cast<std::size_t>(received)},
                             [&](std::span<std::uint8_t> packet) { frame(packet, endpoint, arrival); }))
            return false; // not RFC 4571 framing, or a frame larger than any we take
    }
}

bool TcpMediaServer::write(Connection& c)
{
    while (!c.queued.empty()) {
        const auto sent = ::send(c.fd, c.queued.data(), c.queued.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                armWrite(c, true);
                return true;
            }
            return false;
        }
        c.queued.erase(c.queued.begin(), c.queued.begin() + sent);
    }
    armWrite(c, false);
    return true;
}

void TcpMediaServer::sendFramed(std::uint32_t connection, std::span<const std::uint8_t> packet)
{
    const auto found = connections_.find(connection);
    if (found == connections_.end() || packet.size() > 0xFFFF)
        return;
    auto& c = *found->second;
    const std::uint8_t header[2] = {static_cast<std::uint8_t>(packet.size() >> 8),
                                    static_cast<std::uint8_t>(packet.size())};
    std::size_t written = 0;
    if (c.queued.empty()) {
        iovec parts[2] = {{const_cast<std::uint8_t*>(header), 2},
                          {const_cast<std::uint8_t*>(packet.data()), packet.size()}};
        msghdr message{};
        message.msg_iov = parts;
        message.msg_iovlen = 2;
        const auto sent = ::sendmsg(c.fd, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (sent > 0)
            written = static_cast<std::size_t>(sent);
        if (written == packet.size() + 2)
            return;
    }
    // The rest waits for the socket; whole frames only are dropped when too much waits.
    if (written == 0 && c.queued.size() + packet.size() + 2 > kMaxQueuedBytes) {
        ++dropped_;
        return;
    }
    for (std::size_t i = written; i < 2; ++i)
        c.queued.push_back(header[i]);
    const auto fromPacket = written > 2 ? written - 2 : 0;
    c.queued.insert(c.queued.end(), packet.begin() + static_cast<std::ptrdiff_t>(fromPacket), packet.end());
    armWrite(c, true);
}

void TcpMediaServer::armWrite(Connection& c, bool on)
{
    if (c.writeArmed == on)
        return;
    epoll_event event{};
    event.events = EPOLLIN | (on ? EPOLLOUT : 0u);
    event.data.u64 = c.endpoint.connection;
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &event);
    c.writeArmed = on;
}

void TcpMediaServer::closeIdle(std::chrono::steady_clock::time_point now, const ClosedHandler& closed)
{
    std::vector<std::uint32_t> idle;
    for (const auto& [id, connection] : connections_)
        if (now - connection->lastReceived > kIdleTimeout)
            idle.push_back(id);
    for (const auto id : idle)
        close(id, closed);
}

void TcpMediaServer::close(std::uint32_t id, const ClosedHandler& closed)
{
    const auto found = connections_.find(id);
    if (found == connections_.end())
        return;
    const auto endpoint = found->second->endpoint;
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, found->second->fd, nullptr);
    ::close(found->second->fd);
    connections_.erase(found);
    closed(endpoint);
}

} // namespace parley::router
