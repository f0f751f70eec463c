#pragma once

#include <openssl/evp.h>

#include <memory>
#include <span>
#include <string>

namespace parley::backup {

/// Incremental SHA-256 (OpenSSL EVP) of a member's bytes.
class Sha256Hasher
{
public:
    Sha256Hasher();
    void update(std::span<const unsigned char> bytes);
    /// The digest as 64 hex digits; the hasher starts over afterwards.
    std::string hexDigest();

private:
    struct Free
    {
        void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
    };
    std::unique_ptr<EVP_MD_CTX, Free> context_;
};

} // namespace parley::backup
