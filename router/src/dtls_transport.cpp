#include <parley/router/dtls_transport.h>

#include <openssl/err.h>
#include <openssl/srtp.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace parley::router {
namespace {

// The fingerprint in SDP decides who the peer is; the chain is not checked.
int acceptAnyCertificate(int, X509_STORE_CTX*)
{
    return 1;
}

std::string upper(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
    return text;
}

std::string openSslError()
{
    const auto code = ERR_get_error();
    ERR_clear_error();
    if (code == 0)
        return "no OpenSSL error";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

} // namespace

DtlsContext::DtlsContext(const DtlsCertificate& certificate, DtlsRole role)
    : role_(role), fingerprint_(certificate.fingerprint())
{
    context_.reset(SSL_CTX_new(role == DtlsRole::Server ? DTLS_server_method() : DTLS_client_method()));
    SSL_CTX* context = context_.get();
    if (!context)
        throw std::runtime_error("cannot create the DTLS context: " + openSslError());
    SSL_CTX_set_min_proto_version(context, DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(context, DTLS1_2_VERSION);
    if (SSL_CTX_use_certificate(context, certificate.certificate()) != 1 ||
        SSL_CTX_use_PrivateKey(context, certificate.key()) != 1)
        throw std::runtime_error("cannot load the DTLS certificate: " + openSslError());
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, acceptAnyCertificate);
    SSL_CTX_set_cipher_list(context, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                                     "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"
                                     "ECDHE-RSA-AES256-GCM-SHA384");
    // Zero on success (OpenSSL's inverted convention for this call). The server picks the
    // first of its own profiles that the client offers; a client offers them in this order.
    if (SSL_CTX_set_tlsext_use_srtp(context, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80") != 0)
        throw std::runtime_error("OpenSSL does not support the SRTP profiles: " + openSslError());
    SSL_CTX_set_read_ahead(context, 1);
}

DtlsTransport::DtlsTransport(const DtlsContext& context, std::string remoteFingerprint, Send send,
                             std::size_t mtu)
    : remoteFingerprint_(upper(std::move(remoteFingerprint))), send_(std::move(send)), mtu_(mtu)
{
    ssl_.reset(SSL_new(context.get()));
    incoming_ = BIO_new(BIO_s_mem());
    outgoing_ = BIO_new(BIO_s_mem());
    if (!ssl_ || !incoming_ || !outgoing_) {
        BIO_free(incoming_);
        BIO_free(outgoing_);
        throw std::runtime_error("cannot create a DTLS session: " + openSslError());
    }
    // An empty memory BIO reports "retry" rather than end of file.
    BIO_set_mem_eof_return(incoming_, -1);
    BIO_set_mem_eof_return(outgoing_, -1);
    SSL_set_bio(ssl_.get(), incoming_, outgoing_);
    SSL_set_options(ssl_.get(), SSL_OP_NO_QUERY_MTU);
    SSL_set_mtu(ssl_.get(), static_cast<long>(mtu_));
    DTLS_set_link_mtu(ssl_.get(), static_cast<long>(mtu_));
    client_ = context.role() == DtlsRole::Client;
    if (client_)
        SSL_set_connect_state(ssl_.get());
    else
        SSL_set_accept_state(ssl_.get());
}

void DtlsTransport::start()
{
    if (client_)
        advance();
}

DtlsTransport::~DtlsTransport() = default;

void DtlsTransport::fail(const std::string& why)
{
    state_ = State::Failed;
    failure_ = why;
    ERR_clear_error();
}

void DtlsTransport::flush()
{
    char* data = nullptr;
    const long pending = BIO_get_mem_data(outgoing_, &data);
    if (pending <= 0)
        return;
    // Several records may be queued; pack whole records into datagrams of at most mtu_ bytes
    // (a record is a 13-byte header whose last two bytes give the body length).
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
    const std::size_t total = static_cast<std::size_t>(pending);
    std::size_t start = 0, at = 0;
    while (at < total) {
        std::size_t record = total - at;
        if (total - at >= 13)
            record = std::min(total - at, 13 + (std::size_t(bytes[at + 11]) << 8 | bytes[at + 12]));
        if (at > start && at + record - start > mtu_) {
            send_({bytes + start, at - start});
            start = at;
        }
        at += record;
    }
    if (at > start)
        send_({bytes + start, at - start});
    (void)BIO_reset(outgoing_);
}

void DtlsTransport::advance()
{
    if (state_ != State::Handshaking)
        return;
    const int result = SSL_do_handshake(ssl_.get());
    flush();
    if (result != 1) {
        const int error = SSL_get_error(ssl_.get(), result);
        if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE)
            fail("DTLS handshake failed: " + openSslError());
        return;
    }
    std::unique_ptr<X509, decltype(&X509_free)> peer(SSL_get1_peer_certificate(ssl_.get()), X509_free);
    if (!peer)
        return fail("the peer sent no certificate");
    if ("SHA-256 " + sha256Fingerprint(peer.get()) != remoteFingerprint_)
        return fail("the peer's certificate does not match the fingerprint in its SDP");
    const SRTP_PROTECTION_PROFILE* selected = SSL_get_selected_srtp_profile(ssl_.get());
    if (!selected)
        return fail("the peer negotiated no SRTP profile");
    SrtpKeys keys;
    if (selected->id == SRTP_AEAD_AES_128_GCM)
        keys.profile = SrtpProfile::AeadAes128Gcm;
    else if (selected->id == SRTP_AES128_CM_SHA1_80)
        keys.profile = SrtpProfile::Aes128CmHmacSha1_80;
    else
        return fail("the peer negotiated an SRTP profile we do not offer");
    const auto keyLength = srtpKeyLength(keys.profile);
    const auto saltLength = srtpSaltLength(keys.profile);
    std::vector<std::uint8_t> material(2 * (keyLength + saltLength));
    static constexpr char kLabel[] = "EXTRACTOR-dtls_srtp";
    if (SSL_export_keying_material(ssl_.get(), material.data(), material.size(), kLabel,
                                   sizeof kLabel - 1, nullptr, 0, 0) != 1)
        return fail("cannot export SRTP keys: " + openSslError());
    // RFC 5764 4.2: client key, server key, client salt, server salt.
    const auto* clientKey = material.data();
    const auto* serverKey = clientKey + keyLength;
    const auto* clientSalt = serverKey + keyLength;
    const auto* serverSalt = clientSalt + saltLength;
    const auto* localKey = client_ ? clientKey : serverKey;
    const auto* localSalt = client_ ? clientSalt : serverSalt;
    const auto* remoteKey = client_ ? serverKey : clientKey;
    const auto* remoteSalt = client_ ? serverSalt : clientSalt;
    keys.local.assign(localKey, localKey + keyLength);
    keys.local.insert(keys.local.end(), localSalt, localSalt + saltLength);
    keys.remote.assign(remoteKey, remoteKey + keyLength);
    keys.remote.insert(keys.remote.end(), remoteSalt, remoteSalt + saltLength);
    OPENSSL_cleanse(material.data(), material.size());
    keys_ = std::move(keys);
    state_ = State::Connected;
}

void DtlsTransport::receive(std::span<const std::uint8_t> datagram)
{
    if (state_ == State::Failed || state_ == State::Closed || datagram.empty())
        return;
    BIO_write(incoming_, datagram.data(), static_cast<int>(datagram.size()));
    if (state_ == State::Handshaking) {
        advance();
        return;
    }
    // Connected: the only records left are alerts (close_notify) and retransmitted
    // handshake flights, which SSL_read answers and consumes; application data is not used.
    std::uint8_t scratch[2048];
    const int read = SSL_read(ssl_.get(), scratch, sizeof scratch);
    flush();
    if (read <= 0) {
        const int error = SSL_get_error(ssl_.get(), read);
        if (error == SSL_ERROR_ZERO_RETURN)
            state_ = State::Closed;
        else if (error != SSL_ERROR_WANT_READ)
            fail("DTLS error after the handshake: " + openSslError());
    }
}

void DtlsTransport::onTimer()
{
    if (state_ != State::Handshaking)
        return;
    if (DTLSv1_handle_timeout(ssl_.get()) < 0)
        return fail("DTLS handshake timed out");
    flush();
}

} // namespace parley::router
