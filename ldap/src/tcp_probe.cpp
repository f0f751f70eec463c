#include "tcp_probe.h"

#include <ldap.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace parley::ldap {
namespace {

struct AddressesFree
{
    void operator()(addrinfo* addresses) const { freeaddrinfo(addresses); }
};

struct UrlFree
{
    void operator()(LDAPURLDesc* description) const { ldap_free_urldesc(description); }
};

} // namespace

TcpSocket::~TcpSocket()
{
    if (fd_ >= 0)
        ::close(fd_);
}

TcpSocket& TcpSocket::operator=(TcpSocket&& other) noexcept
{
    if (this != &other) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

bool parseServerAddress(const std::string& uri, ServerAddress& address, std::string& error)
{
    LDAPURLDesc* raw = nullptr;
    if (ldap_url_parse(uri.c_str(), &raw) != LDAP_URL_SUCCESS || !raw) {
        error = "'" + uri + "' is not a valid LDAP URI";
        return false;
    }
    const std::unique_ptr<LDAPURLDesc, UrlFree> description(raw);
    address.ldaps = uri.rfind("ldaps://", 0) == 0;
    address.host = description->lud_host && *description->lud_host ? description->lud_host : "localhost";
    address.port = description->lud_port ? description->lud_port : (address.ldaps ? 636 : 389);
    return true;
}

TcpSocket connectTcp(const ServerAddress& address, std::chrono::seconds timeout, std::string& error)
{
    const auto where = address.host + ":" + std::to_string(address.port);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* raw = nullptr;
    if (getaddrinfo(address.host.c_str(), std::to_string(address.port).c_str(), &hints, &raw) != 0) {
        error = "cannot resolve host '" + address.host + "'";
        return TcpSocket();
    }
    const std::unique_ptr<addrinfo, AddressesFree> addresses(raw);
    error = "no answer from " + where + " within " + std::to_string(timeout.count()) + " s";
    for (addrinfo* a = addresses.get(); a; a = a->ai_next) {
        TcpSocket socket(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
        if (!socket)
            continue;
        bool connected = ::connect(socket.fd(), a->ai_addr, a->ai_addrlen) == 0;
        if (!connected && errno == EINPROGRESS) {
            pollfd waiting{socket.fd(), POLLOUT, 0};
            if (::poll(&waiting, 1, static_cast<int>(timeout.count() * 1000)) == 1) {
                int socketError = 0;
                socklen_t length = sizeof socketError;
                ::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &socketError, &length);
                connected = socketError == 0;
                if (!connected)
                    error = where + ": " + std::strerror(socketError);
            }
        }
        else if (!connected) {
            error = where + ": " + std::strerror(errno);
        }
        if (!connected)
            continue;
        // Blocking from here on, each read and write bounded by the timeout.
        ::fcntl(socket.fd(), F_SETFL, ::fcntl(socket.fd(), F_GETFL) & ~O_NONBLOCK);
        const timeval limit{static_cast<time_t>(timeout.count()), 0};
        ::setsockopt(socket.fd(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
        ::setsockopt(socket.fd(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
        error.clear();
        return socket;
    }
    return TcpSocket();
}

bool reachable(const std::string& uri, std::chrono::seconds timeout, std::string& error)
{
    ServerAddress address;
    if (!parseServerAddress(uri, address, error))
        return false;
    return static_cast<bool>(connectTcp(address, timeout, error));
}

} // namespace parley::ldap
