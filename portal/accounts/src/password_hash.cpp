#include <parley/portal/accounts/password_hash.h>

#include <parley/portal/http/text_validation.h>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/NumberParser.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <sstream>
#include <stdexcept>
#include <vector>

namespace parley::portal {
namespace {

constexpr std::string_view kPrefix = "$pbkdf2-sha256$i=";
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

std::string base64(const std::string& bytes)
{
    std::ostringstream out;
    Poco::Base64Encoder encoder(out, Poco::BASE64_NO_PADDING);
    encoder.rdbuf()->setLineLength(0);
    encoder << bytes;
    encoder.close();
    return out.str();
}

bool fromBase64(std::string_view text, std::string& bytes)
{
    if (text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") !=
        std::string_view::npos)
        return false;
    std::istringstream in{std::string(text)};
    Poco::Base64Decoder decoder(in, Poco::BASE64_NO_PADDING);
    bytes.assign(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
    return !decoder.bad();
}

std::string derive(std::string_view password, const std::string& salt, int iterations)
{
    std::string key(kHashBytes, '\0');
    if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                          reinterpret_cast<const unsigned char*>(salt.data()),
                          static_cast<int>(salt.size()), iterations, EVP_sha256(),
                          static_cast<int>(key.size()),
                          reinterpret_cast<unsigned char*>(key.data())) != 1)
        throw std::runtime_error("PBKDF2 failed in OpenSSL");
    return key;
}

} // namespace

std::string hashPassword(std::string_view password, int iterations)
{
    if (iterations < 1 || iterations > kMaxPbkdf2Iterations)
        throw std::invalid_argument("PBKDF2 iteration count out of range");
    std::string salt(kSaltBytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1)
        throw std::runtime_error("the random generator failed");
    return std::string(kPrefix) + std::to_string(iterations) + "$" + base64(salt) + "$" +
           base64(derive(password, salt, iterations));
}

PasswordCheck verifyPassword(std::string_view password, std::string_view encoded,
                             int currentIterations)
{
    if (!encoded.starts_with(kPrefix))
        return {};
    encoded.remove_prefix(kPrefix.size());
    const auto firstDollar = encoded.find('$');
    if (firstDollar == std::string_view::npos)
        return {};
    const auto secondDollar = encoded.find('$', firstDollar + 1);
    if (secondDollar == std::string_view::npos)
        return {};
    const std::string iterationText(encoded.substr(0, firstDollar));
    int iterations = 0;
    if (iterationText.empty() || iterationText.find_first_not_of("0123456789") != std::string::npos ||
        !Poco::NumberParser::tryParse(iterationText, iterations) || iterations < 1 ||
        iterations > kMaxPbkdf2Iterations)
        return {};
    std::string salt;
    std::string expected;
    if (!fromBase64(encoded.substr(firstDollar + 1, secondDollar - firstDollar - 1), salt) ||
        !fromBase64(encoded.substr(secondDollar + 1), expected) || salt.size() != kSaltBytes ||
        expected.size() != kHashBytes)
        return {};
    const auto actual = derive(password, salt, iterations);
    if (iterations < currentIterations)
        derive(password, salt, currentIterations - iterations); // equal timing, see header
    PasswordCheck check;
    check.matches = CRYPTO_memcmp(actual.data(), expected.data(), kHashBytes) == 0;
    check.needsRehash = check.matches && iterations < currentIterations;
    return check;
}

std::string checkPasswordPolicy(std::string_view password, const PasswordPolicy& policy)
{
    if (password.size() > policy.maxBytes)
        return "the password is longer than " + std::to_string(policy.maxBytes) + " bytes";
    if (!isValidUtf8(password))
        return "the password is not valid UTF-8 text";
    if (utf8Length(password) < policy.minLength)
        return "the password must have at least " + std::to_string(policy.minLength) +
               " characters";
    return {};
}

} // namespace parley::portal
