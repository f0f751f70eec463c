#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace parley::portal {

/// The server's Ed25519 key for signing recording exports: anyone holding its public key
/// (in every export, and at `GET /api/v1/recordings/signing-key` to compare fingerprints)
/// can check with stock OpenSSL that an export's manifest is the one this server wrote.
class ExportSigner
{
public:
    /// From the 32-byte private key (storage::loadOrCreateKeyFile of
    /// `<data_dir>/export-signing.key`). Throws std::invalid_argument for another size and
    /// std::runtime_error when OpenSSL refuses it.
    explicit ExportSigner(std::string_view privateKey);
    ~ExportSigner();
    ExportSigner(const ExportSigner&) = delete;
    ExportSigner& operator=(const ExportSigner&) = delete;

    /// The 64-byte Ed25519 signature of `message` (RFC 8032), raw, as
    /// `openssl pkeyutl -verify -rawin` reads it.
    std::string sign(std::string_view message) const;

    /// The public key as PEM (SubjectPublicKeyInfo).
    const std::string& publicKeyPem() const { return publicPem_; }
    /// Lower-case hex SHA-256 of the public key's DER form (what `openssl pkey -pubin
    /// -outform DER | sha256sum` prints).
    const std::string& fingerprint() const { return fingerprint_; }

private:
    struct Key;
    std::unique_ptr<Key> key_;
    std::string publicPem_;
    std::string fingerprint_;
};

} // namespace parley::portal
