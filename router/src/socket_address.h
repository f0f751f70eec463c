#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace parley::router {

/// An IP address and port in the form bind() takes.
struct SocketAddress
{
    sockaddr_storage storage{};
    socklen_t length = 0;
};

/// `address` (IPv4 or IPv6 text) and `port`. Throws std::runtime_error naming the address
/// when it is not an IP address.
SocketAddress socketAddress(const std::string& address, std::uint16_t port);

/// The port the socket `fd` is bound to (after binding port 0).
std::uint16_t boundPort(int fd);

} // namespace parley::router
