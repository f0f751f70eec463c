#pragma once

#include <parley/volume/secret_bytes.h>

#include <cstdint>
#include <memory>
#include <span>

struct evp_cipher_ctx_st;

namespace parley::volume {

/// aes-xts-plain64 over whole encryption sectors, bit for bit what dm-crypt does for a LUKS2
/// data segment: each sector is one XTS data unit whose tweak is the 64-bit little-endian
/// number of its first 512-byte sector (counted from the start of the data segment, plus the
/// header's IV offset), zero-padded to 16 bytes. dm-crypt counts in 512-byte units even when
/// the encryption sector is 4096 bytes (cryptsetup never sets iv_large_sectors for LUKS2).
///
/// OpenSSL does the AES-XTS; this class only cuts buffers into sectors and sets the tweaks.
/// One object is not thread-safe (it keeps its OpenSSL contexts between calls so the hot
/// path allocates nothing).
class XtsSectorCipher
{
public:
    /// `key` is the LUKS volume key: 64 bytes (AES-256-XTS) or 32 bytes (AES-128-XTS).
    XtsSectorCipher(const SecretBytes& key, std::uint32_t sectorSize, std::uint64_t ivOffset = 0);
    ~XtsSectorCipher();
    XtsSectorCipher(const XtsSectorCipher&) = delete;
    XtsSectorCipher& operator=(const XtsSectorCipher&) = delete;

    std::uint32_t sectorSize() const { return sectorSize_; }

    /// Encrypts `data` in place. Its size must be a multiple of the sector size;
    /// `firstByte` is the offset of data[0] in the data segment, a multiple of the sector size.
    void encrypt(std::span<std::uint8_t> data, std::uint64_t firstByte);
    void decrypt(std::span<std::uint8_t> data, std::uint64_t firstByte);

private:
    struct ContextFree
    {
        void operator()(::evp_cipher_ctx_st* context) const;
    };
    using Context = std::unique_ptr<::evp_cipher_ctx_st, ContextFree>;

    void run(Context& context, std::span<std::uint8_t> data, std::uint64_t firstByte);

    std::uint32_t sectorSize_;
    std::uint64_t ivOffset_;
    Context encrypt_;
    Context decrypt_;
};

} // namespace parley::volume
