#include <parley/router/random_identifiers.h>

#include <openssl/rand.h>

namespace parley::router {

std::uint32_t randomSsrc()
{
    std::uint32_t value = 0;
    while (value == 0)
        RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value);
    return value;
}

std::string randomIceToken(std::size_t length)
{
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string token;
    while (token.size() < length) {
        unsigned char byte = 0;
        RAND_bytes(&byte, 1);
        if (byte < 248) // 248 = 4 * 62: keeps the characters equally likely
            token += kAlphabet[byte % 62];
    }
    return token;
}

} // namespace parley::router
