#pragma once

#include <parley/router/srtp_session.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::sip {

/// An SRTP master key and salt, wiped from memory when destroyed. Never logged.
class MasterKey
{
public:
    MasterKey() = default;
    explicit MasterKey(std::vector<std::uint8_t> bytes) : bytes_(std::move(bytes)) {}
    ~MasterKey();
    MasterKey(const MasterKey& other) = default;
    MasterKey& operator=(const MasterKey& other) = default;
    MasterKey(MasterKey&& other) noexcept = default;
    MasterKey& operator=(MasterKey&& other) noexcept = default;

    const std::vector<std::uint8_t>& bytes() const { return bytes_; }
    bool operator==(const MasterKey& other) const;

private:
    std::vector<std::uint8_t> bytes_;
};

/// One SDES crypto attribute (RFC 4568 §9.1): `a=crypto:<tag> <suite> inline:<key||salt>`.
/// Only the suites Parley speaks are represented: AEAD_AES_128_GCM (RFC 7714) and
/// AES_CM_128_HMAC_SHA1_80.
struct CryptoAttribute
{
    unsigned tag = 1;
    router::SrtpProfile suite = router::SrtpProfile::AeadAes128Gcm;
    MasterKey key; ///< master key followed by master salt: 28 bytes (GCM) or 30 (AES-CM)
};

/// The suite's name in SDP.
std::string_view suiteName(router::SrtpProfile suite);

/// Parses the value of an `a=crypto` attribute (what follows "crypto:"). Returns nothing,
/// and says why in `whyNot`, for a suite Parley does not speak (the caller may find another
/// line it does), for a malformed line, a key of the wrong length or bad base64, more than
/// one key, a key lifetime below 2^20 packets, an MKI (RFC 4568 §6.1, which Parley does not
/// use), or any session parameter (UNENCRYPTED_SRTP and the like weaken the protection;
/// the others change key derivation). Never throws for any input.
std::optional<CryptoAttribute> parseCryptoAttribute(std::string_view value, std::string& whyNot);

/// The attribute value for `crypto` ("<tag> <suite> inline:<base64>"), without "a=crypto:".
std::string formatCryptoAttribute(const CryptoAttribute& crypto);

/// A fresh key for `suite` from OpenSSL's random generator, under `tag`. Throws
/// std::runtime_error when the generator fails.
CryptoAttribute freshCrypto(unsigned tag, router::SrtpProfile suite);

} // namespace parley::sip
