#include <parley/portal/http/secret_token.h>

#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/DigestEngine.h>

#include <openssl/rand.h>

#include <sstream>
#include <stdexcept>
#include <string_view>

namespace parley::portal {

std::string randomBytes(std::size_t count)
{
    std::string bytes(count, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1)
        throw std::runtime_error("the random generator failed");
    return bytes;
}

std::string randomToken()
{
    const std::string bytes = randomBytes(32);
    std::ostringstream out;
    Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    encoder.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
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
