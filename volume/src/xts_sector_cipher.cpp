#include <parley/volume/xts_sector_cipher.h>

#include <openssl/evp.h>

#include <stdexcept>

namespace parley::volume {

void XtsSectorCipher::ContextFree::operator()(EVP_CIPHER_CTX* context) const
{
    EVP_CIPHER_CTX_free(context);
}

XtsSectorCipher::XtsSectorCipher(const SecretBytes& key, std::uint32_t sectorSize, std::uint64_t ivOffset)
    : sectorSize_(sectorSize), ivOffset_(ivOffset), encrypt_(EVP_CIPHER_CTX_new()), decrypt_(EVP_CIPHER_CTX_new())
{
    if (sectorSize != 512 && sectorSize != 1024 && sectorSize != 2048 && sectorSize != 4096)
        throw std::invalid_argument("unsupported encryption sector size " + std::to_string(sectorSize));
    const EVP_CIPHER* cipher = key.size() == 64 ? EVP_aes_256_xts() : key.size() == 32 ? EVP_aes_128_xts() : nullptr;
    if (cipher == nullptr)
        throw std::invalid_argument("an aes-xts volume key has 32 or 64 bytes, not " + std::to_string(key.size()));
    if (!encrypt_ || !decrypt_ || EVP_EncryptInit_ex(encrypt_.get(), cipher, nullptr, key.data(), nullptr) != 1 ||
        EVP_DecryptInit_ex(decrypt_.get(), cipher, nullptr, key.data(), nullptr) != 1)
        throw std::runtime_error("OpenSSL refused the aes-xts volume key");
}

XtsSectorCipher::~XtsSectorCipher() = default;

void XtsSectorCipher::encrypt(std::span<std::uint8_t> data, std::uint64_t firstByte)
{
    run(encrypt_, data, firstByte);
}

void XtsSectorCipher::decrypt(std::span<std::uint8_t> data, std::uint64_t firstByte)
{
    run(decrypt_, data, firstByte);
}

void XtsSectorCipher::run(Context& context, std::span<std::uint8_t> data, std::uint64_t firstByte)
{
    if (data.size() % sectorSize_ != 0 || firstByte % sectorSize_ != 0)
        throw std::invalid_argument("aes-xts works on whole sectors");
    std::uint8_t tweak[16] = {};
    for (std::size_t done = 0; done < data.size(); done += sectorSize_) {
        std::uint64_t sector = (firstByte + done) / 512 + ivOffset_;
        for (int i = 0; i < 8; ++i) {
            tweak[i] = static_cast<std::uint8_t>(sector & 0xff);
            sector >>= 8;
        }
        int written = 0;
        // Re-initialising with only a new IV keeps the expanded key; XTS needs the whole data
        // unit in one update call.
        if (EVP_CipherInit_ex(context.get(), nullptr, nullptr, nullptr, tweak, -1) != 1 ||
            EVP_CipherUpdate(context.get(), data.data() + done, &written, data.data() + done,
                             static_cast<int>(sectorSize_)) != 1 ||
            written != static_cast<int>(sectorSize_))
            throw std::runtime_error("aes-xts failed on a sector");
    }
}

} // namespace parley::volume
