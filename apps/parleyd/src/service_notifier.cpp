#include "service_notifier.h"

#include <parley/log/log_event.h>

#include <Poco/Logger.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace parley::parleyd {
namespace {

/// A datagram socket closed when the notification is sent.
class DatagramSocket
{
public:
    DatagramSocket() : fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
    ~DatagramSocket()
    {
        if (fd_ >= 0)
            ::close(fd_);
    }
    DatagramSocket(const DatagramSocket&) = delete;
    DatagramSocket& operator=(const DatagramSocket&) = delete;
    int fd() const { return fd_; }

private:
    int fd_;
};

} // namespace

ServiceNotifier::ServiceNotifier()
{
    // Absolute path or '@' for Linux's abstract namespace; anything else is not systemd's.
    if (const char* path = std::getenv("NOTIFY_SOCKET"); path && (path[0] == '/' || path[0] == '@'))
        socketPath_ = path;
}

void ServiceNotifier::ready(std::string_view status) const
{
    send("READY=1\nSTATUS=" + std::string(status));
}

void ServiceNotifier::reloading() const
{
    send("RELOADING=1");
}

void ServiceNotifier::stopping() const
{
    send("STOPPING=1");
}

void ServiceNotifier::send(std::string_view message) const
{
    if (socketPath_.empty())
        return;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (socketPath_.size() >= sizeof(address.sun_path)) {
        log::warning(Poco::Logger::get("parleyd"), "systemd.notify_failed",
                     "NOTIFY_SOCKET is too long for a socket address; systemd is not told about the service's state",
                     {{"error", "socket path too long"}});
        return;
    }
    std::memcpy(address.sun_path, socketPath_.data(), socketPath_.size());
    if (address.sun_path[0] == '@')
        address.sun_path[0] = '\0';
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socketPath_.size());
    DatagramSocket socket;
    if (socket.fd() < 0 ||
        ::sendto(socket.fd(), message.data(), message.size(), MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&address), length) < 0) {
        // The unit then fails its start timeout, which says more than we could here.
        const std::string error = std::strerror(errno);
        log::warning(Poco::Logger::get("parleyd"), "systemd.notify_failed",
                     "cannot notify systemd at " + std::string(socketPath_) + ": " + error, {{"error", error}});
    }
}

} // namespace parley::parleyd
