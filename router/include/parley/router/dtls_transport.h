#pragma once

#include <parley/router/dtls_certificate.h>
#include <parley/router/srtp_session.h>

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace parley::router {

/// Which end of the handshake a transport is. The router is always the server (it answers
/// with `a=setup:passive`); the client role is for endpoints that offer `a=setup:active`
/// towards it, such as the load generator's simulated participants.
enum class DtlsRole
{
    Server,
    Client,
};

/// The SSL_CTX every DTLS transport of one side shares: DTLS 1.2 only, its certificate, a
/// peer certificate required (checked against the SDP fingerprint, not a CA), and the
/// `use_srtp` profiles AEAD_AES_128_GCM then AES128_CM_SHA1_80.
class DtlsContext
{
public:
    explicit DtlsContext(const DtlsCertificate& certificate, DtlsRole role = DtlsRole::Server);
    SSL_CTX* get() const { return context_.get(); }
    DtlsRole role() const { return role_; }
    /// Its certificate's, for the SDP's a=fingerprint ("sha-256 AB:CD:...").
    const std::string& fingerprint() const { return fingerprint_; }

private:
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context_{nullptr, SSL_CTX_free};
    DtlsRole role_;
    std::string fingerprint_;
};

/// Keys for one transport, exported from its DTLS handshake (RFC 5764 4.2). Held only in
/// memory and never logged.
struct SrtpKeys
{
    SrtpProfile profile = SrtpProfile::AeadAes128Gcm;
    std::vector<std::uint8_t> local;  ///< key || salt we protect with (our side's)
    std::vector<std::uint8_t> remote; ///< key || salt we unprotect with (the peer's)
};

/// One end of a WebRTC transport's DTLS, in the role of its context (the router's are
/// servers). Datagrams go in through receive(); what OpenSSL wants to send comes out through
/// the `send` callback, split into datagrams of at most `mtu` bytes at record boundaries. A
/// client sends its first flight from start(). After the handshake the peer's certificate
/// must match the fingerprint the peer announced in its SDP, or the transport fails.
class DtlsTransport
{
public:
    using Send = std::function<void(std::span<const std::uint8_t>)>;

    enum class State
    {
        Handshaking,
        Connected,
        Failed,
        Closed,
    };

    /// `remoteFingerprint` is the value of the peer's a=fingerprint ("sha-256 AB:CD:...";
    /// only SHA-256 is accepted).
    DtlsTransport(const DtlsContext& context, std::string remoteFingerprint, Send send,
                  std::size_t mtu = 1200);
    ~DtlsTransport();
    DtlsTransport(const DtlsTransport&) = delete;
    DtlsTransport& operator=(const DtlsTransport&) = delete;

    /// A client sends its ClientHello; a server does nothing (it waits for one).
    void start();

    /// Feeds one datagram classified as DTLS. Garbage moves the transport to Failed (it is
    /// never an exception): the caller drops and counts.
    void receive(std::span<const std::uint8_t> datagram);

    /// Retransmits a lost flight when OpenSSL's timer has expired; call periodically.
    void onTimer();

    State state() const { return state_; }
    /// Why the transport failed, for the log (never key material).
    const std::string& failure() const { return failure_; }
    /// Set once Connected.
    const std::optional<SrtpKeys>& keys() const { return keys_; }

private:
    void flush();
    void advance();
    void fail(const std::string& why);

    std::unique_ptr<SSL, decltype(&SSL_free)> ssl_{nullptr, SSL_free};
    BIO* incoming_ = nullptr; ///< owned by ssl_
    BIO* outgoing_ = nullptr; ///< owned by ssl_
    std::string remoteFingerprint_;
    Send send_;
    std::size_t mtu_;
    bool client_ = false;
    State state_ = State::Handshaking;
    std::string failure_;
    std::optional<SrtpKeys> keys_;
};

} // namespace parley::router
