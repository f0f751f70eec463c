#pragma once

#include <chrono>
#include <string>

namespace parley::ldap {

/// A connected TCP socket; closed on destruction.
class TcpSocket
{
public:
    explicit TcpSocket(int fd = -1) : fd_(fd) {}
    ~TcpSocket();
    TcpSocket(TcpSocket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    TcpSocket& operator=(TcpSocket&& other) noexcept;
    TcpSocket(const TcpSocket&) = delete;
    TcpSocket& operator=(const TcpSocket&) = delete;

    int fd() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }

private:
    int fd_;
};

/// Where an LDAP URI points.
struct ServerAddress
{
    std::string host;
    int port = 0;
    bool ldaps = false;
};

/// The host and port of `uri` (defaults 389 / 636); false with `error` set if it is no LDAP URI.
bool parseServerAddress(const std::string& uri, ServerAddress& address, std::string& error);

/// A blocking TCP connection to `address`, made within `timeout`, whose reads and writes each
/// give up after `timeout`; an invalid socket with `error` saying why when none is made.
TcpSocket connectTcp(const ServerAddress& address, std::chrono::seconds timeout, std::string& error);

/// Whether a TCP connection to the URI's host and port succeeds within `timeout`; on failure
/// `error` says why.
bool reachable(const std::string& uri, std::chrono::seconds timeout, std::string& error);

} // namespace parley::ldap
