#include <parley/portal/http/secret_token.h>

#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/DigestEngine.h>

#include <openssl/rand.h>

#include <sstream>
#include <stdexcept>
#include <string_view>

namespace parley::portal {

std::string randomToken()
{
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        throw std::runtime_error("the random generator failed");
    std::ostringstream out;
    Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    encoder.write(reinterpret_cast<const char*>(bytes), sizeof bytes);
    encoder.close();
    return out.str();
}

std::string randomPassword()
{
    static constexpr std::string_view kAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    constexpr int kGroups = 4;
    constexpr int kGroupLength = 5;
    // Rejection sampling: bytes at or above the largest multiple of the alphabet's size
    // would favour its first letters.
    const unsigned limit = 256 - 256 % kAlphabet.size();
    std::string password;
    while (password.size() < kGroups * (kGroupLength + 1) - 1) {
        unsigned char byte = 0;
        if (RAND_bytes(&byte, 1) != 1)
            throw std::runtime_error("the random generator failed");
        if (byte >= limit)
            continue;
        if (password.size() % (kGroupLength + 1) == kGroupLength)
            password += '-';
        password += kAlphabet[byte % kAlphabet.size()];
    }
    return password;
}

std::string tokenHash(const std::string& token)
{
    Poco::Crypto::DigestEngine sha256("SHA256");
    sha256.update(token);
    return Poco::DigestEngine::digestToHex(sha256.digest());
}

} // namespace parley::portal
