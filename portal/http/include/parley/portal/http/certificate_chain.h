#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace parley::portal {

/// Why a certificate chain and key cannot serve: `code()` is the word the admin API answers
/// with (docs/api.md, `PUT /api/v1/admin/tls`), the message says what to fix.
class CertificateRejected : public std::runtime_error
{
public:
    CertificateRejected(std::string code, const std::string& message)
        : std::runtime_error(message), code_(std::move(code))
    {}
    const std::string& code() const { return code_; }

private:
    std::string code_;
};

/// Bounds on what fromPem reads: an administrator's chain is a leaf and two or three CAs.
inline constexpr std::size_t kMaxChainPemBytes = 64 * 1024;
inline constexpr std::size_t kMaxKeyPemBytes = 16 * 1024;
inline constexpr std::size_t kMaxChainCertificates = 10;

/// A server certificate chain (leaf first, each certificate followed by its issuer) and the
/// leaf's private key, parsed with OpenSSL. Immutable; copies share the OpenSSL objects.
class CertificateChain
{
public:
    /// Parses PEM text. `chainPem` must hold only CERTIFICATE blocks (at most
    /// kMaxChainCertificates, kMaxChainPemBytes in all); `keyPem` one unencrypted private key
    /// (PKCS#8, or the traditional RSA/EC forms). Throws CertificateRejected `invalid_pem`
    /// (naming the block or what is missing) or `key_mismatch` when the key does not belong
    /// to the first certificate. Never prompts for a passphrase.
    static CertificateChain fromPem(const std::string& chainPem, const std::string& keyPem);

    /// The same from the contents of a certificate file and a key file (tls.certificate and
    /// tls.private_key, or the stored upload, which holds both): blocks other than
    /// certificates in the first and other than the key in the second are ignored, as
    /// OpenSSL's file loaders do. Same exceptions.
    static CertificateChain fromFileContents(const std::string& chainPem, const std::string& keyPem);

    /// Everything an uploaded certificate must pass before it serves, at time `now`:
    /// - the key is RSA of 2048 bits or more, or EC on P-256 or P-384 (`unsupported_key`);
    /// - each certificate is issued and signed by the next, and the last one is self-signed
    ///   or issued by a CA in the system's trust store (`chain_incomplete`);
    /// - the leaf names at least one DNS name or IP address in subjectAltName (`no_names`);
    /// - every certificate is within its validity dates (`expired`, `not_yet_valid`).
    /// Throws CertificateRejected with the first problem found, in that order.
    void checkForService(std::chrono::system_clock::time_point now) const;

    X509* leaf() const { return certificates_.front().get(); }
    EVP_PKEY* key() const { return key_.get(); }
    /// The certificates after the leaf, for SSL_set1_chain.
    STACK_OF(X509) * intermediates() const { return intermediates_.get(); }
    std::size_t length() const { return certificates_.size(); }

    std::string subject() const; ///< the leaf's subject, RFC 2253 ("CN=meet.example.org,O=...")
    std::string issuer() const;  ///< the leaf's issuer, same form
    /// The leaf's subjectAltName DNS names and IP addresses, in certificate order.
    std::vector<std::string> names() const;
    std::chrono::system_clock::time_point notBefore() const;
    std::chrono::system_clock::time_point notAfter() const;
    /// SHA-256 of the leaf's DER, "AB:CD:..." (what browsers show).
    std::string fingerprintSha256() const;
    /// Whether the leaf is issued by itself (a self-signed certificate).
    bool selfSigned() const;
    /// Whether the leaf is valid for `host` (a DNS name, or an IP address, IPv6 with or
    /// without brackets), wildcards as browsers match them.
    bool covers(const std::string& host) const;

    /// The chain then the key, in PEM: what LiveCertificate stores for a restart.
    std::string pem() const;

private:
    CertificateChain() = default;
    static CertificateChain parse(const std::string& chainPem, const std::string& keyPem, bool strict);

    std::vector<std::shared_ptr<X509>> certificates_;
    std::shared_ptr<STACK_OF(X509)> intermediates_;
    std::shared_ptr<EVP_PKEY> key_;
};

} // namespace parley::portal
