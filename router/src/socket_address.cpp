#include "socket_address.h"

#include <arpa/inet.h>

#include <stdexcept>

namespace parley::router {

SocketAddress socketAddress(const std::string& address, std::uint16_t port)
{
    SocketAddress result;
    auto& v4 = reinterpret_cast<sockaddr_in&>(result.storage);
    auto& v6 = reinterpret_cast<sockaddr_in6&>(result.storage);
    if (inet_pton(AF_INET, address.c_str(), &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(port);
        result.length = sizeof v4;
    }
    else if (inet_pton(AF_INET6, address.c_str(), &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(port);
        result.length = sizeof v6;
    }
    else
        throw std::runtime_error("media address '" + address + "' is not an IP address");
    return result;
}

std::uint16_t boundPort(int fd)
{
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
    return ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in&>(bound).sin_port
                                            : reinterpret_cast<sockaddr_in6&>(bound).sin6_port);
}

} // namespace parley::router
