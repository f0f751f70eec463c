#include "tls_client.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace parley::test {
namespace {

sockaddr_in loopback(std::uint16_t port)
{
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

std::string lower(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

} // namespace

TcpConnection::TcpConnection(std::uint16_t port, std::chrono::milliseconds timeout, const std::string& source)
    : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0))
{
    if (fd_ < 0)
        throw std::runtime_error("socket() failed");
    if (!source.empty()) {
        sockaddr_in local{};
        local.sin_family = AF_INET;
        if (::inet_pton(AF_INET, source.c_str(), &local.sin_addr) != 1 ||
            ::bind(fd_, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
            ::close(fd_);
            throw std::runtime_error("cannot connect from " + source);
        }
    }
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const auto address = loopback(port);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        const int error = errno;
        ::close(fd_);
        throw std::runtime_error("connect to port " + std::to_string(port) +
                                 " failed: " + std::strerror(error));
    }
}

TcpConnection::TcpConnection(TcpConnection&& other) noexcept : fd_(other.fd_)
{
    other.fd_ = -1;
}

TcpConnection::~TcpConnection()
{
    if (fd_ >= 0)
        ::close(fd_);
}

void TcpConnection::write(std::string_view data)
{
    while (!data.empty()) {
        const auto sent = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (sent <= 0)
            throw std::runtime_error("send failed: " + std::string(std::strerror(errno)));
        data.remove_prefix(static_cast<std::size_t>(sent));
    }
}

std::string TcpConnection::readAll()
{
    std::string data;
    char buffer[4096];
    for (;;) {
        const auto received = ::recv(fd_, buffer, sizeof buffer, 0);
        if (received <= 0)
            return data;
        data.append(buffer, static_cast<std::size_t>(received));
    }
}

void TcpConnection::shutdownWrite()
{
    ::shutdown(fd_, SHUT_WR);
}

bool portAcceptsConnections(std::uint16_t port)
{
    try {
        TcpConnection connection(port, std::chrono::milliseconds(500));
        return true;
    }
    catch (const std::runtime_error&) {
        return false;
    }
}

std::uint16_t freePort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto address = loopback(0);
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot find a free port");
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

struct TlsClient::State
{
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context{nullptr, SSL_CTX_free};
    std::unique_ptr<SSL, decltype(&SSL_free)> ssl{nullptr, SSL_free};
    std::optional<TcpConnection> tcp;
};

TlsClient::TlsClient(std::uint16_t port, const TlsOptions& options, const std::string& sourceAddress)
    : state_(std::make_unique<State>())
{
    ERR_clear_error();
    state_->context.reset(SSL_CTX_new(TLS_client_method()));
    SSL_CTX* context = state_->context.get();
    if (options.securityLevel >= 0)
        SSL_CTX_set_security_level(context, options.securityLevel);
    SSL_CTX_set_min_proto_version(context, options.minVersion);
    SSL_CTX_set_max_proto_version(context, options.maxVersion);
    if (!options.cipherList.empty() && SSL_CTX_set_cipher_list(context, options.cipherList.c_str()) != 1)
        throw std::runtime_error("client refused cipher list " + options.cipherList);
    if (!options.cipherSuites.empty() &&
        SSL_CTX_set_ciphersuites(context, options.cipherSuites.c_str()) != 1)
        throw std::runtime_error("client refused cipher suites " + options.cipherSuites);
    SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nullptr);

    state_->tcp.emplace(port, std::chrono::seconds(10), sourceAddress);
    state_->ssl.reset(SSL_new(context));
    SSL_set_fd(state_->ssl.get(), state_->tcp->fd());
    SSL_set_tlsext_host_name(state_->ssl.get(), "localhost");
    if (SSL_connect(state_->ssl.get()) != 1) {
        const unsigned long error = ERR_peek_error();
        char text[256] = "handshake failed without an OpenSSL error";
        if (error)
            ERR_error_string_n(error, text, sizeof text);
        ERR_clear_error();
        throw TlsHandshakeError(text, ERR_GET_REASON(error));
    }
}

TlsClient::~TlsClient() = default;

std::string TlsClient::version() const
{
    return SSL_get_version(state_->ssl.get());
}

std::string TlsClient::cipher() const
{
    return SSL_get_cipher_name(state_->ssl.get());
}

std::string TlsClient::peerFingerprint() const
{
    std::unique_ptr<X509, decltype(&X509_free)> cert(SSL_get1_peer_certificate(state_->ssl.get()),
                                                     X509_free);
    if (!cert)
        return {};
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    X509_digest(cert.get(), EVP_sha256(), digest, &length);
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string text;
    for (unsigned int i = 0; i < length; ++i) {
        if (i)
            text += ':';
        text += kHex[digest[i] >> 4];
        text += kHex[digest[i] & 0xf];
    }
    return text;
}

std::string TlsClient::peerKeyType() const
{
    std::unique_ptr<X509, decltype(&X509_free)> cert(SSL_get1_peer_certificate(state_->ssl.get()),
                                                     X509_free);
    if (!cert)
        return {};
    const EVP_PKEY* key = X509_get0_pubkey(cert.get());
    return key && EVP_PKEY_is_a(key, "EC") ? "EC" : key && EVP_PKEY_is_a(key, "RSA") ? "RSA" : "?";
}

int TlsClient::peerChainLength() const
{
    const STACK_OF(X509)* chain = SSL_get_peer_cert_chain(state_->ssl.get());
    return chain ? sk_X509_num(chain) : 0;
}

void TlsClient::write(std::string_view data)
{
    while (!data.empty()) {
        const int written = SSL_write(state_->ssl.get(), data.data(), static_cast<int>(data.size()));
        if (written <= 0)
            throw std::runtime_error("TLS write failed");
        data.remove_prefix(static_cast<std::size_t>(written));
    }
}

std::string TlsClient::readAll()
{
    std::string data;
    char buffer[4096];
    for (;;) {
        const int received = SSL_read(state_->ssl.get(), buffer, sizeof buffer);
        if (received <= 0) {
            ERR_clear_error();
            return data;
        }
        data.append(buffer, static_cast<std::size_t>(received));
    }
}

void TlsClient::shutdownWrite()
{
    SSL_shutdown(state_->ssl.get());
    state_->tcp->shutdownWrite();
}

std::string TlsClient::readResponse()
{
    std::string data;
    char buffer[4096];
    for (;;) {
        const auto headerEnd = data.find("\r\n\r\n");
        if (headerEnd != std::string::npos) {
            const auto parsed = parseHttpResponse(data.substr(0, headerEnd + 4));
            const auto length = parsed.header("content-length");
            const std::size_t bodyLength = length.empty() ? 0 : std::stoul(length);
            if (data.size() >= headerEnd + 4 + bodyLength)
                return data;
        }
        const int received = SSL_read(state_->ssl.get(), buffer, sizeof buffer);
        if (received <= 0) {
            ERR_clear_error();
            return data;
        }
        data.append(buffer, static_cast<std::size_t>(received));
    }
}

int TlsClient::readSome(char* buffer, int size, std::chrono::milliseconds timeout)
{
    SSL* ssl = state_->ssl.get();
    if (SSL_pending(ssl) == 0) {
        pollfd descriptor{state_->tcp->fd(), POLLIN, 0};
        if (::poll(&descriptor, 1, static_cast<int>(timeout.count())) == 0)
            return -1;
    }
    const int received = SSL_read(ssl, buffer, size);
    if (received <= 0) {
        const int error = SSL_get_error(ssl, received);
        ERR_clear_error();
        // A TLS record may arrive in pieces: readable socket, no whole record yet.
        if (error == SSL_ERROR_WANT_READ)
            return -1;
        return 0;
    }
    return received;
}

std::string HttpResponse::header(const std::string& name) const
{
    const auto found = headers.find(lower(name));
    return found == headers.end() ? std::string() : found->second;
}

HttpResponse parseHttpResponse(const std::string& raw)
{
    HttpResponse response;
    if (!raw.starts_with("HTTP/1."))
        return response;
    const auto headerEnd = raw.find("\r\n\r\n");
    const std::string head = raw.substr(0, headerEnd);
    response.status = std::atoi(head.substr(9, 3).c_str());
    std::size_t position = head.find("\r\n");
    while (position != std::string::npos && position < head.size()) {
        const auto next = head.find("\r\n", position + 2);
        const auto line = head.substr(position + 2, next == std::string::npos ? std::string::npos
                                                                               : next - position - 2);
        const auto colon = line.find(':');
        if (colon != std::string::npos) {
            auto value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            response.headers[lower(line.substr(0, colon))] = value;
        }
        position = next;
    }
    if (headerEnd != std::string::npos)
        response.body = raw.substr(headerEnd + 4);
    if (lower(response.header("transfer-encoding")) == "chunked") {
        std::string decoded;
        std::size_t at = 0;
        while (at < response.body.size()) {
            const auto lineEnd = response.body.find("\r\n", at);
            if (lineEnd == std::string::npos)
                break;
            const auto size = std::stoul(response.body.substr(at, lineEnd - at), nullptr, 16);
            if (size == 0)
                break;
            decoded += response.body.substr(lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
        response.body = decoded;
    }
    return response;
}

HttpResponse httpsRequest(std::uint16_t port, const std::string& method, const std::string& target,
                          const std::string& body, const std::string& extraHeaders,
                          const std::string& sourceAddress)
{
    TlsClient client(port, {}, sourceAddress);
    std::string request = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" +
                          "Connection: close\r\n" + extraHeaders;
    if (!body.empty())
        request += "Content-Type: application/json\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n";
    request += "\r\n" + body;
    client.write(request);
    return parseHttpResponse(client.readAll());
}

} // namespace parley::test
