#include "announced_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace parley::router {
namespace {

std::string primaryAddress()
{
    // Connecting a UDP socket sends nothing; it only makes the kernel pick the source
    // address of the default route.
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return "127.0.0.1";
    sockaddr_in target{};
    target.sin_family = AF_INET;
    target.sin_port = htons(9);
    inet_pton(AF_INET, "192.0.2.1", &target.sin_addr);
    std::string result = "127.0.0.1";
    if (::connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof target) == 0) {
        sockaddr_in local{};
        socklen_t length = sizeof local;
        char text[INET_ADDRSTRLEN];
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0 &&
            inet_ntop(AF_INET, &local.sin_addr, text, sizeof text))
            result = text;
    }
    ::close(fd);
    return result;
}

} // namespace

std::string announcedAddressFor(const RouterSettings& settings)
{
    if (!settings.announcedAddress.empty())
        return settings.announcedAddress;
    if (settings.listenAddress != "0.0.0.0" && settings.listenAddress != "::")
        return settings.listenAddress;
    return primaryAddress();
}

} // namespace parley::router
