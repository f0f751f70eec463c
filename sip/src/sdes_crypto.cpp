#include <parley/sip/sdes_crypto.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <stdexcept>

namespace parley::sip {
namespace {

constexpr std::size_t kMaxTagDigits = 9; // RFC 4568 §9.1: 1*9DIGIT
constexpr std::uint64_t kMinLifetime = 1ULL << 20;

std::size_t keyAndSaltLength(router::SrtpProfile suite)
{
    return router::srtpKeyLength(suite) + router::srtpSaltLength(suite);
}

bool isBase64Character(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/// Standard base64, padded or not (libre pads, others do not).
std::optional<std::vector<std::uint8_t>> decodeBase64(std::string_view text)
{
    while (!text.empty() && text.back() == '=')
        text.remove_suffix(1);
    if (text.empty() || text.size() % 4 == 1)
        return std::nullopt;
    for (const char c : text)
        if (!isBase64Character(c))
            return std::nullopt;
    std::string padded(text);
    while (padded.size() % 4 != 0)
        padded += '=';
    std::vector<std::uint8_t> out(padded.size() / 4 * 3);
    const int written = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(padded.data()),
                                        static_cast<int>(padded.size()));
    if (written < 0)
        return std::nullopt;
    // EVP_DecodeBlock counts the padding as zero bytes.
    out.resize(static_cast<std::size_t>(written) - (padded.size() - text.size()));
    return out;
}

std::string encodeBase64(const std::vector<std::uint8_t>& bytes)
{
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                        static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(written));
    return out;
}

std::optional<router::SrtpProfile> suiteByName(std::string_view name)
{
    if (name == "AEAD_AES_128_GCM")
        return router::SrtpProfile::AeadAes128Gcm;
    if (name == "AES_CM_128_HMAC_SHA1_80")
        return router::SrtpProfile::Aes128CmHmacSha1_80;
    return std::nullopt;
}

/// "2^31" or a decimal count of packets.
std::optional<std::uint64_t> parseLifetime(std::string_view text)
{
    std::uint64_t value = 0;
    if (text.starts_with("2^")) {
        unsigned power = 0;
        const auto digits = text.substr(2);
        const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), power);
        if (error != std::errc() || end != digits.data() + digits.size() || power > 63)
            return std::nullopt;
        return 1ULL << power;
    }
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty())
        return std::nullopt;
    return value;
}

} // namespace

MasterKey::~MasterKey()
{
    if (!bytes_.empty())
        OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

bool MasterKey::operator==(const MasterKey& other) const
{
    return bytes_.size() == other.bytes_.size() &&
           CRYPTO_memcmp(bytes_.data(), other.bytes_.data(), bytes_.size()) == 0;
}

std::string_view suiteName(router::SrtpProfile suite)
{
    return suite == router::SrtpProfile::AeadAes128Gcm ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80";
}

std::optional<CryptoAttribute> parseCryptoAttribute(std::string_view value, std::string& whyNot)
{
    // <tag> SP <suite> SP <key-params> [SP <session-params>]
    const auto firstSpace = value.find(' ');
    if (firstSpace == std::string_view::npos || firstSpace == 0 || firstSpace > kMaxTagDigits) {
        whyNot = "no tag";
        return std::nullopt;
    }
    CryptoAttribute crypto;
    const auto tagText = value.substr(0, firstSpace);
    const auto [tagEnd, tagError] = std::from_chars(tagText.data(), tagText.data() + tagText.size(), crypto.tag);
    if (tagError != std::errc() || tagEnd != tagText.data() + tagText.size()) {
        whyNot = "the tag is not a number";
        return std::nullopt;
    }
    auto rest = value.substr(firstSpace + 1);
    const auto secondSpace = rest.find(' ');
    if (secondSpace == std::string_view::npos) {
        whyNot = "no key";
        return std::nullopt;
    }
    const auto suite = suiteByName(rest.substr(0, secondSpace));
    if (!suite) {
        whyNot = "suite not supported";
        return std::nullopt;
    }
    crypto.suite = *suite;
    rest = rest.substr(secondSpace + 1);
    const auto keyEnd = rest.find(' ');
    const auto keyParams = rest.substr(0, keyEnd);
    if (keyEnd != std::string_view::npos && rest.find_first_not_of(' ', keyEnd) != std::string_view::npos) {
        whyNot = "session parameters are not accepted";
        return std::nullopt;
    }
    if (keyParams.find(';') != std::string_view::npos) {
        whyNot = "more than one key";
        return std::nullopt;
    }
    if (!keyParams.starts_with("inline:")) {
        whyNot = "the key method is not inline";
        return std::nullopt;
    }
    auto keyInfo = keyParams.substr(7);
    const auto firstBar = keyInfo.find('|');
    const auto keyText = keyInfo.substr(0, firstBar);
    if (firstBar != std::string_view::npos) {
        auto options = keyInfo.substr(firstBar + 1);
        const auto secondBar = options.find('|');
        const auto first = options.substr(0, secondBar);
        if (first.find(':') != std::string_view::npos || secondBar != std::string_view::npos) {
            whyNot = "an MKI is not accepted";
            return std::nullopt;
        }
        const auto lifetime = parseLifetime(first);
        if (!lifetime || *lifetime < kMinLifetime) {
            whyNot = "the key lifetime is too short or malformed";
            return std::nullopt;
        }
    }
    auto key = decodeBase64(keyText);
    if (!key || key->size() != keyAndSaltLength(crypto.suite)) {
        whyNot = "the key is not " + std::to_string(keyAndSaltLength(crypto.suite)) + " bytes of base64";
        if (key)
            OPENSSL_cleanse(key->data(), key->size());
        return std::nullopt;
    }
    crypto.key = MasterKey(std::move(*key));
    return crypto;
}

std::string formatCryptoAttribute(const CryptoAttribute& crypto)
{
    return std::to_string(crypto.tag) + " " + std::string(suiteName(crypto.suite)) + " inline:" +
           encodeBase64(crypto.key.bytes());
}

CryptoAttribute freshCrypto(unsigned tag, router::SrtpProfile suite)
{
    std::vector<std::uint8_t> bytes(keyAndSaltLength(suite));
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        throw std::runtime_error("OpenSSL's random generator failed to make an SRTP key");
    return {tag, suite, MasterKey(std::move(bytes))};
}

} // namespace parley::sip
