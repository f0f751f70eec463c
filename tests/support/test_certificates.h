#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

namespace parley::test {

/// What a test certificate is like.
struct CertificateSpec
{
    std::string commonName = "parley.test";
    /// subjectAltName entries as OpenSSL writes them: "DNS:meet.example.org", "IP:127.0.0.1".
    std::vector<std::string> names{"DNS:localhost", "IP:127.0.0.1"};
    bool ca = false;
    long validFromSeconds = -3600;        ///< notBefore, relative to now
    long validUntilSeconds = 90 * 86400;  ///< notAfter, relative to now
    /// "ec-p256", "ec-p384", "ec-p521", "rsa-2048", "rsa-1024", "ed25519"
    std::string keyType = "ec-p256";
};

/// A certificate made with OpenSSL for a test, with its key.
struct TestCertificate
{
    std::shared_ptr<X509> certificate;
    std::shared_ptr<EVP_PKEY> key;

    std::string pem() const;    ///< the certificate, PEM
    std::string keyPem() const; ///< the private key, PKCS#8 PEM
    /// SHA-256 of the DER, "AB:CD:..." (as TlsClient::peerFingerprint reports it).
    std::string fingerprint() const;
};

/// A certificate as `spec` says, signed by `issuer` (self-signed when nullptr).
TestCertificate makeTestCertificate(const CertificateSpec& spec, const TestCertificate* issuer = nullptr);

} // namespace parley::test
