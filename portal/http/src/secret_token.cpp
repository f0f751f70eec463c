#include <parley/portal/http/secret_token.h>

#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/DigestEngine.h>

#include <openssl/rand.h>

#include <sstream>
#include <stdexcept>

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

std::string tokenHash(const std::string& token)
{
    Poco::Crypto::DigestEngine sha256("SHA256");
    sha256.update(token);
    return Poco::DigestEngine::digestToHex(sha256.digest());
}

} // namespace parley::portal
