#include <parley/portal/recordings/export_signer.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <Poco/Crypto/DigestEngine.h>

#include <stdexcept>

namespace parley::portal {
namespace {

struct BioDeleter
{
    void operator()(BIO* bio) const { BIO_free(bio); }
};

struct DigestContextDeleter
{
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

} // namespace

struct ExportSigner::Key
{
    EVP_PKEY* pkey = nullptr;
    ~Key() { EVP_PKEY_free(pkey); }
};

ExportSigner::ExportSigner(std::string_view privateKey) : key_(std::make_unique<Key>())
{
    if (privateKey.size() != 32)
        throw std::invalid_argument("an export signing key has 32 bytes, not " + std::to_string(privateKey.size()));
    key_->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                              reinterpret_cast<const unsigned char*>(privateKey.data()), privateKey.size());
    if (!key_->pkey)
        throw std::runtime_error("OpenSSL refused the export signing key");
    std::unique_ptr<BIO, BioDeleter> pem(BIO_new(BIO_s_mem()));
    if (!pem || PEM_write_bio_PUBKEY(pem.get(), key_->pkey) != 1)
        throw std::runtime_error("cannot write the export signing key's public half");
    char* data = nullptr;
    const long length = BIO_get_mem_data(pem.get(), &data);
    publicPem_.assign(data, static_cast<std::size_t>(length));
    unsigned char* der = nullptr;
    const int derLength = i2d_PUBKEY(key_->pkey, &der);
    if (derLength <= 0)
        throw std::runtime_error("cannot encode the export signing key's public half");
    Poco::Crypto::DigestEngine digest("SHA256");
    digest.update(der, static_cast<std::size_t>(derLength));
    OPENSSL_free(der);
    fingerprint_ = Poco::DigestEngine::digestToHex(digest.digest());
}

ExportSigner::~ExportSigner() = default;

std::string ExportSigner::sign(std::string_view message) const
{
    std::unique_ptr<EVP_MD_CTX, DigestContextDeleter> context(EVP_MD_CTX_new());
    // Ed25519 signs the message itself (no separate digest).
    if (!context || EVP_DigestSignInit(context.get(), nullptr, nullptr, nullptr, key_->pkey) != 1)
        throw std::runtime_error("cannot start signing the export manifest");
    std::string signature(64, '\0');
    std::size_t length = signature.size();
    if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
        length != 64)
        throw std::runtime_error("cannot sign the export manifest");
    return signature;
}

} // namespace parley::portal
