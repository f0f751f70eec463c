#include "record_cipher.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <memory>
#include <stdexcept>

namespace parley::backup {
namespace {


struct CipherContextFree
{
    void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextFree>;

std::array<unsigned char, 12> nonceFor(std::uint64_t index, bool final)
{
    std::array<unsigned char, 12> nonce{};
    for (int i = 0; i < 8; ++i)
        nonce[static_cast<std::size_t>(i)] = static_cast<unsigned char>(index >> (56 - 8 * i));
    nonce[11] = final ? 1 : 0;
    return nonce;
}

CipherContext start(const std::array<unsigned char, 32>& key, std::uint64_t index, bool final, bool encrypt,
                    const std::string& aad)
{
    CipherContext context(EVP_CIPHER_CTX_new());
    const auto nonce = nonceFor(index, final);
    int ignored = 0;
    if (!context ||
        EVP_CipherInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce.data(), encrypt ? 1 : 0) != 1 ||
        EVP_CipherUpdate(context.get(), nullptr, &ignored, reinterpret_cast<const unsigned char*>(aad.data()),
                         static_cast<int>(aad.size())) != 1)
        throw std::runtime_error("AES-256-GCM could not be set up (OpenSSL)");
    return context;
}

} // namespace

RecordCipher::RecordCipher(const BackupKey& key, const ArchiveHeader& header) : aad_(header.text)
{
    std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr), EVP_KDF_free);
    std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> context(kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr,
                                                                       EVP_KDF_CTX_free);
    auto salt = header.salt;
    auto secret = key.bytes();
    char digest[] = "SHA256";
    char info[] = "parley backup format 1 record key";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, secret.data(), secret.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt.data(), salt.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, sizeof info - 1),
        OSSL_PARAM_construct_end(),
    };
    const bool ok = context && EVP_KDF_derive(context.get(), key_.data(), key_.size(), params) == 1;
    OPENSSL_cleanse(secret.data(), secret.size());
    if (!ok)
        throw std::runtime_error("HKDF-SHA256 failed (OpenSSL)");
}

RecordCipher::~RecordCipher()
{
    OPENSSL_cleanse(key_.data(), key_.size());
}

std::vector<unsigned char> RecordCipher::seal(std::uint64_t index, bool final,
                                              std::span<const unsigned char> plain) const
{
    auto context = start(key_, index, final, true, aad_);
    std::vector<unsigned char> sealed(plain.size() + kTagBytes);
    int written = 0;
    int last = 0;
    if (EVP_CipherUpdate(context.get(), sealed.data(), &written, plain.data(), static_cast<int>(plain.size())) != 1 ||
        EVP_CipherFinal_ex(context.get(), sealed.data() + written, &last) != 1 ||
        EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                            sealed.data() + plain.size()) != 1)
        throw std::runtime_error("AES-256-GCM encryption failed (OpenSSL)");
    return sealed;
}

bool RecordCipher::open(std::uint64_t index, bool final, std::span<const unsigned char> sealed,
                        std::vector<unsigned char>& plain) const
{
    if (sealed.size() < kTagBytes)
        return false;
    const std::size_t length = sealed.size() - kTagBytes;
    auto context = start(key_, index, final, false, aad_);
    plain.resize(length);
    std::array<unsigned char, kTagBytes> tag{};
    std::copy(sealed.begin() + static_cast<std::ptrdiff_t>(length), sealed.end(), tag.begin());
    int written = 0;
    int last = 0;
    if (EVP_CipherUpdate(context.get(), plain.data(), &written, sealed.data(), static_cast<int>(length)) != 1 ||
        EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), tag.data()) != 1)
        throw std::runtime_error("AES-256-GCM decryption failed (OpenSSL)");
    if (EVP_CipherFinal_ex(context.get(), plain.data() + written, &last) != 1) {
        OPENSSL_cleanse(plain.data(), plain.size());
        plain.clear();
        return false;
    }
    return true;
}

} // namespace parley::backup
