#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>

namespace parley::router {

/// Where packets for a TCP connection go (the ICE-TCP server): each is written with its
/// RFC 4571 length in front.
class FramedSink
{
public:
    virtual ~FramedSink() = default;
    virtual void sendFramed(std::uint32_t connection, std::span<const std::uint8_t> packet) = 0;
};

/// A peer as a small, hashable value (no strings on the packet path): its UDP address, or,
/// for ICE-TCP, its address and the router's number for the TCP connection.
struct Endpoint
{
    sockaddr_storage address{};
    socklen_t length = 0;
    std::uint32_t connection = 0; ///< the TCP connection it is reached on; 0: UDP

    static Endpoint from(const sockaddr_storage& address, socklen_t length)
    {
        Endpoint endpoint;
        endpoint.address = address;
        endpoint.length = length;
        return endpoint;
    }

    bool operator==(const Endpoint& other) const
    {
        if (address.ss_family != other.address.ss_family || connection != other.connection)
            return false;
        if (address.ss_family == AF_INET) {
            const auto& a = reinterpret_cast<const sockaddr_in&>(address);
            const auto& b = reinterpret_cast<const sockaddr_in&>(other.address);
            return a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr;
        }
        const auto& a = reinterpret_cast<const sockaddr_in6&>(address);
        const auto& b = reinterpret_cast<const sockaddr_in6&>(other.address);
        return a.sin6_port == b.sin6_port && std::memcmp(&a.sin6_addr, &b.sin6_addr, 16) == 0;
    }

    /// "192.0.2.1:5000" or "[2001:db8::1]:5000", for logs.
    std::string toString() const;
};

struct EndpointHash
{
    std::size_t operator()(const Endpoint& endpoint) const noexcept
    {
        std::uint64_t h = endpoint.address.ss_family;
        if (endpoint.address.ss_family == AF_INET) {
            const auto& a = reinterpret_cast<const sockaddr_in&>(endpoint.address);
            h = (std::uint64_t(a.sin_addr.s_addr) << 16) ^ a.sin_port;
        }
        else {
            const auto& a = reinterpret_cast<const sockaddr_in6&>(endpoint.address);
            std::uint64_t parts[2];
            std::memcpy(parts, &a.sin6_addr, 16);
            h = parts[0] ^ (parts[1] * 0x9e3779b97f4a7c15ull) ^ a.sin6_port;
        }
        return std::hash<std::uint64_t>{}(h ^ (std::uint64_t(endpoint.connection) << 40));
    }
};

} // namespace parley::router
