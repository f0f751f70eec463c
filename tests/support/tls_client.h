#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace parley::test {

/// A TCP connection to 127.0.0.1, with receive/send timeouts. Closed on destruction.
class TcpConnection
{
public:
    /// `source`: the local address to connect from (any of 127.0.0.0/8 reaches loopback, so
    /// one machine can play many clients); empty lets the kernel choose.
    explicit TcpConnection(std::uint16_t port,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10),
                           const std::string& source = {});
    ~TcpConnection();
    TcpConnection(TcpConnection&& other) noexcept;
    TcpConnection(const TcpConnection&) = delete;
    TcpConnection& operator=(const TcpConnection&) = delete;

    int fd() const { return fd_; }
    void write(std::string_view data);
    /// Reads until the peer closes or the timeout passes; returns what arrived.
    std::string readAll();
    /// Half-closes the connection: the peer reads end-of-stream, we can still read.
    void shutdownWrite();

private:
    int fd_;
};

/// Whether a TCP connection to the port is accepted right now.
bool portAcceptsConnections(std::uint16_t port);

/// A port that was free a moment ago.
std::uint16_t freePort();

/// What the client offers in the handshake.
struct TlsOptions
{
    int minVersion = 0x0303; ///< TLS1_2_VERSION
    int maxVersion = 0x0304; ///< TLS1_3_VERSION
    std::string cipherList;  ///< TLS 1.2 and below; empty = OpenSSL default
    std::string cipherSuites; ///< TLS 1.3; empty = OpenSSL default
    /// OpenSSL security level; 0 lets the client offer TLS 1.0/1.1 and weak suites at all.
    int securityLevel = -1;
};

/// A real OpenSSL client (no certificate verification: the tests check the fingerprint).
class TlsClient
{
public:
    /// Connects (from `sourceAddress`, see TcpConnection; empty: the kernel's choice) and
    /// completes the handshake; throws TlsHandshakeError on failure.
    TlsClient(std::uint16_t port, const TlsOptions& options = {}, const std::string& sourceAddress = {});
    ~TlsClient();
    TlsClient(const TlsClient&) = delete;
    TlsClient& operator=(const TlsClient&) = delete;

    std::string version() const; ///< "TLSv1.3"
    std::string cipher() const;  ///< OpenSSL name of the negotiated cipher
    std::string peerFingerprint() const; ///< SHA-256, "AB:CD:..."
    std::string peerKeyType() const;     ///< "EC" or "RSA"
    /// How many certificates the server sent: its own, then the chain it added.
    int peerChainLength() const;

    void write(std::string_view data);
    /// Reads until the peer closes (or the timeout passes).
    std::string readAll();
    /// Sends close_notify and half-closes TCP, so the server sees the end of the stream.
    void shutdownWrite();
    /// Reads one HTTP/1.1 response with Content-Length (keeps the connection usable).
    std::string readResponse();
    /// Reads what is available, waiting at most `timeout`: the byte count, 0 when the peer
    /// closed or the connection failed, -1 on timeout.
    int readSome(char* buffer, int size, std::chrono::milliseconds timeout);

private:
    struct State;
    std::unique_ptr<State> state_;
};

class TlsHandshakeError : public std::runtime_error
{
public:
    TlsHandshakeError(const std::string& what, unsigned long reason)
        : std::runtime_error(what), reason_(reason)
    {}
    /// ERR_GET_REASON of the first OpenSSL error (e.g. SSL_R_TLSV1_ALERT_PROTOCOL_VERSION).
    unsigned long reason() const { return reason_; }

private:
    unsigned long reason_;
};

/// A parsed HTTP response.
struct HttpResponse
{
    int status = 0;
    std::map<std::string, std::string> headers; ///< names lower-cased
    std::string body;
    std::string header(const std::string& name) const;
};

/// Parses the first response in `raw`; status 0 if it is not an HTTP response.
HttpResponse parseHttpResponse(const std::string& raw);

/// Sends one request over a fresh TLS connection and returns the response.
HttpResponse httpsRequest(std::uint16_t port, const std::string& method, const std::string& target,
                          const std::string& body = {},
                          const std::string& extraHeaders = {},
                          const std::string& sourceAddress = {});

} // namespace parley::test
