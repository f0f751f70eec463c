#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace parley::router {

/// The router's DTLS identity: an ECDSA P-256 key and a self-signed certificate made at
/// start-up and kept in memory only. WebRTC authenticates it by the fingerprint carried in
/// the signed-in signaling channel (SDP `a=fingerprint`), not by a CA.
class DtlsCertificate
{
public:
    /// Generates a fresh key and certificate (valid 30 days back and forward); throws
    /// std::runtime_error if OpenSSL fails.
    static DtlsCertificate generate();

    X509* certificate() const { return certificate_.get(); }
    EVP_PKEY* key() const { return key_.get(); }
    /// "sha-256 AB:CD:...", as SDP's a=fingerprint wants it.
    const std::string& fingerprint() const { return fingerprint_; }

private:
    DtlsCertificate() = default;
    std::unique_ptr<X509, decltype(&X509_free)> certificate_{nullptr, X509_free};
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_{nullptr, EVP_PKEY_free};
    std::string fingerprint_;
};

/// The SHA-256 fingerprint of a certificate as "AB:CD:..." (upper-case hex).
std::string sha256Fingerprint(X509* certificate);

} // namespace parley::router
