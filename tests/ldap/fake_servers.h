#pragma once

// Directory servers that misbehave, on real sockets: for the failures a real slapd cannot show.

#include <atomic>
#include <cstdint>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace parley::test {

/// A TCP listener on 127.0.0.1, closed on destruction.
class LoopbackListener
{
public:
    LoopbackListener() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0))
    {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::listen(fd_, 16) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
            throw std::runtime_error("cannot listen on 127.0.0.1 for a fake directory server");
        port_ = ntohs(address.sin_port);
    }
    ~LoopbackListener() { ::close(fd_); }
    LoopbackListener(const LoopbackListener&) = delete;
    LoopbackListener& operator=(const LoopbackListener&) = delete;
    int fd() const { return fd_; }
    std::uint16_t port() const { return port_; }

private:
    int fd_;
    std::uint16_t port_ = 0;
};

/// A port that accepts connections (the kernel completes the handshake) but never answers:
/// a hung directory server.
class SilentServer
{
public:
    std::uint16_t port() const { return listener_.port(); }
    std::string uri(const std::string& scheme) const { return scheme + "://127.0.0.1:" + std::to_string(port()); }

private:
    LoopbackListener listener_;
};

/// Answers each connection's first bytes with `reply`, then closes it: a web server or some
/// other service at the directory's port, or a directory that refuses StartTLS.
class ScriptedServer
{
public:
    explicit ScriptedServer(std::string reply)
        : reply_(std::move(reply)), thread_([this] { serve(); })
    {}
    ~ScriptedServer()
    {
        stop_ = true;
        thread_.join();
    }
    ScriptedServer(const ScriptedServer&) = delete;
    ScriptedServer& operator=(const ScriptedServer&) = delete;
    std::string uri(const std::string& scheme) const
    {
        return scheme + "://127.0.0.1:" + std::to_string(listener_.port());
    }

private:
    void serve()
    {
        while (!stop_) {
            pollfd waiting{listener_.fd(), POLLIN, 0};
            if (::poll(&waiting, 1, 50) != 1)
                continue;
            const int client = ::accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0)
                continue;
            pollfd reading{client, POLLIN, 0};
            char buffer[4096];
            if (::poll(&reading, 1, 2000) == 1 && ::recv(client, buffer, sizeof buffer, 0) > 0)
                ::send(client, reply_.data(), reply_.size(), MSG_NOSIGNAL);
            ::close(client);
        }
    }

    LoopbackListener listener_;
    std::string reply_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

} // namespace parley::test
