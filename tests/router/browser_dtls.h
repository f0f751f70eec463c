#pragma once

#include <parley/router/dtls_certificate.h>

#include <openssl/srtp.h>
#include <openssl/ssl.h>

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace parley::router::test {

using Bytes = std::vector<std::uint8_t>;

/// A DTLS client as a browser is one: its own certificate, memory BIOs, the SRTP profiles
/// it offers.
class BrowserSide
{
public:
    explicit BrowserSide(const std::string& profiles)
        : certificate_(DtlsCertificate::generate()), context_(SSL_CTX_new(DTLS_client_method()), SSL_CTX_free)
    {
        SSL_CTX_use_certificate(context_.get(), certificate_.certificate());
        SSL_CTX_use_PrivateKey(context_.get(), certificate_.key());
        SSL_CTX_set_verify(context_.get(), SSL_VERIFY_NONE, nullptr);
        REQUIRE(SSL_CTX_set_tlsext_use_srtp(context_.get(), profiles.c_str()) == 0);
        ssl_.reset(SSL_new(context_.get()));
        in_ = BIO_new(BIO_s_mem());
        out_ = BIO_new(BIO_s_mem());
        BIO_set_mem_eof_return(in_, -1);
        BIO_set_mem_eof_return(out_, -1);
        SSL_set_bio(ssl_.get(), in_, out_);
        SSL_set_connect_state(ssl_.get());
    }

    /// Feeds what the router sent (or nothing, to start) and returns what we send back.
    Bytes step(const Bytes& received)
    {
        if (!received.empty())
            BIO_write(in_, received.data(), static_cast<int>(received.size()));
        SSL_do_handshake(ssl_.get());
        char* data = nullptr;
        const long pending = BIO_get_mem_data(out_, &data);
        Bytes sent(data, data + std::max(0L, pending));
        (void)BIO_reset(out_);
        return sent;
    }

    bool done() const { return SSL_is_init_finished(ssl_.get()); }
    std::string fingerprint() const { return certificate_.fingerprint(); }
    int profile() const { return SSL_get_selected_srtp_profile(ssl_.get())->id; }

    /// The client's own key||salt and the server's, exported as a browser does.
    std::pair<Bytes, Bytes> keys(std::size_t keyLength, std::size_t saltLength) const
    {
        Bytes material(2 * (keyLength + saltLength));
        REQUIRE(SSL_export_keying_material(ssl_.get(), material.data(), material.size(),
                                           "EXTRACTOR-dtls_srtp", 19, nullptr, 0, 0) == 1);
        Bytes client(material.begin(), material.begin() + keyLength);
        Bytes server(material.begin() + keyLength, material.begin() + 2 * keyLength);
        const auto salts = material.begin() + 2 * keyLength;
        client.insert(client.end(), salts, salts + saltLength);
        server.insert(server.end(), salts + saltLength, salts + 2 * saltLength);
        return {client, server};
    }

private:
    DtlsCertificate certificate_;
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context_;
    std::unique_ptr<SSL, decltype(&SSL_free)> ssl_{nullptr, SSL_free};
    BIO* in_ = nullptr;
    BIO* out_ = nullptr;
};


} // namespace parley::router::test
