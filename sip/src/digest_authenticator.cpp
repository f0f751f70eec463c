#include <parley/sip/digest_authenticator.h>

#include <Poco/DigestEngine.h>
#include <Poco/String.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <charconv>
#include <cstring>
#include <map>
#include <stdexcept>

namespace parley::sip {
namespace {

constexpr std::size_t kMaxParams = 32;
constexpr std::size_t kMaxValueBytes = 512;
constexpr std::size_t kMacBytes = 16;     // of the HMAC-SHA256, in the nonce
constexpr std::size_t kMaxRemembered = 10000; // (nonce, nc, cnonce) kept against replay

std::string hex(const unsigned char* bytes, std::size_t length)
{
    return Poco::DigestEngine::digestToHex(Poco::DigestEngine::Digest(bytes, bytes + length));
}

std::string md5Hex(std::string_view text)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_md5(), nullptr) != 1)
        throw std::runtime_error("OpenSSL could not compute MD5 for SIP digest authentication");
    return hex(digest, length);
}

std::string unquote(std::string_view value)
{
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
        std::string out;
        for (std::size_t i = 0; i < value.size(); ++i) {
            if (value[i] == '\\' && i + 1 < value.size())
                ++i;
            out += value[i];
        }
        return out;
    }
    return std::string(value);
}

} // namespace

std::optional<DigestCredentials> readDigestCredentials(const std::vector<std::string_view>& params,
                                                       std::string& whyNot)
{
    if (params.size() > kMaxParams) {
        whyNot = "too many parameters";
        return std::nullopt;
    }
    std::map<std::string, std::string> fields;
    for (const auto param : params) {
        const auto equals = param.find('=');
        if (equals == std::string_view::npos || equals == 0) {
            whyNot = "a parameter without a value";
            return std::nullopt;
        }
        std::string name(param.substr(0, equals));
        for (auto& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const auto value = param.substr(equals + 1);
        if (value.size() > kMaxValueBytes) {
            whyNot = "a parameter over 512 bytes";
            return std::nullopt;
        }
        if (!fields.emplace(name, unquote(value)).second) {
            whyNot = "parameter " + name + " repeated";
            return std::nullopt;
        }
    }
    DigestCredentials credentials;
    const std::pair<const char*, std::string*> required[] = {{"username", &credentials.username},
                                                            {"realm", &credentials.realm},
                                                            {"nonce", &credentials.nonce},
                                                            {"uri", &credentials.uri},
                                                            {"response", &credentials.response}};
    for (const auto& [name, into] : required) {
        const auto found = fields.find(name);
        if (found == fields.end() || found->second.empty()) {
            whyNot = std::string("no ") + name;
            return std::nullopt;
        }
        *into = found->second;
    }
    const std::pair<const char*, std::string*> optional[] = {{"algorithm", &credentials.algorithm},
                                                            {"qop", &credentials.qop},
                                                            {"nc", &credentials.nc},
                                                            {"cnonce", &credentials.cnonce},
                                                            {"opaque", &credentials.opaque}};
    for (const auto& [name, into] : optional)
        if (const auto found = fields.find(name); found != fields.end())
            *into = found->second;
    if (!credentials.qop.empty() && (credentials.nc.empty() || credentials.cnonce.empty())) {
        whyNot = "qop without nc and cnonce";
        return std::nullopt;
    }
    return credentials;
}

std::string digestHa1(std::string_view username, std::string_view realm, std::string_view password)
{
    std::string text;
    text.reserve(username.size() + realm.size() + password.size() + 2);
    text.append(username).append(":").append(realm).append(":").append(password);
    auto result = md5Hex(text);
    OPENSSL_cleanse(text.data(), text.size());
    return result;
}

DigestAuthenticator::DigestAuthenticator(std::string realm, std::chrono::seconds nonceLifetime)
    : realm_(std::move(realm)), lifetime_(nonceLifetime)
{
    if (RAND_bytes(key_.data(), static_cast<int>(key_.size())) != 1)
        throw std::runtime_error("OpenSSL's random generator failed to make the SIP nonce key");
}

std::string DigestAuthenticator::nonceFor(std::int64_t issuedAt) const
{
    // "<issued, hex>.<HMAC-SHA256(key, issued), hex, first 16 bytes>"
    const std::string issued = std::to_string(issuedAt);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
              reinterpret_cast<const unsigned char*>(issued.data()), issued.size(), mac, &length))
        throw std::runtime_error("OpenSSL could not compute the SIP nonce");
    return issued + "." + hex(mac, kMacBytes);
}

std::string DigestAuthenticator::challenge(std::chrono::system_clock::time_point now, bool stale) const
{
    const auto issued = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    // One MD5 challenge only: libre (baresip) gives up on the whole header set when it
    // meets an algorithm it does not know.
    return "Digest realm=\"" + realm_ + "\", nonce=\"" + nonceFor(issued) +
           "\", algorithm=MD5, qop=\"auth\"" + (stale ? ", stale=true" : "");
}

DigestAuthenticator::Verdict DigestAuthenticator::verify(const DigestCredentials& credentials,
                                                         std::string_view method, std::string_view ha1,
                                                         std::chrono::system_clock::time_point now,
                                                         std::string& whyNot)
{
    if (credentials.realm != realm_) {
        whyNot = "another realm";
        return Verdict::Refused;
    }
    if (!credentials.algorithm.empty() && Poco::icompare(credentials.algorithm, "MD5") != 0) {
        whyNot = "algorithm other than MD5";
        return Verdict::Refused;
    }
    if (!credentials.qop.empty() && credentials.qop != "auth") {
        whyNot = "qop other than auth";
        return Verdict::Refused;
    }
    if (credentials.qop.empty()) {
        whyNot = "no qop (RFC 2069 digest is not accepted)";
        return Verdict::Refused;
    }
    // The nonce is ours and unaltered?
    const auto dot = credentials.nonce.find('.');
    std::int64_t issued = 0;
    const auto& nonce = credentials.nonce;
    const auto [end, error] = std::from_chars(nonce.data(), nonce.data() + (dot == std::string::npos ? 0 : dot), issued);
    if (dot == std::string::npos || error != std::errc() || end != nonce.data() + dot) {
        whyNot = "a nonce Parley did not issue";
        return Verdict::Refused;
    }
    const auto expected = nonceFor(issued);
    if (expected.size() != nonce.size() || CRYPTO_memcmp(expected.data(), nonce.data(), nonce.size()) != 0) {
        whyNot = "a nonce Parley did not issue";
        return Verdict::Refused;
    }
    // The response: MD5(HA1:nonce:nc:cnonce:qop:MD5(method:uri)).
    std::string ha1Text(ha1);
    const auto ha2 = md5Hex(std::string(method) + ":" + credentials.uri);
    const auto right = md5Hex(ha1Text + ":" + credentials.nonce + ":" + credentials.nc + ":" + credentials.cnonce +
                              ":" + credentials.qop + ":" + ha2);
    OPENSSL_cleanse(ha1Text.data(), ha1Text.size());
    std::string given = credentials.response;
    for (auto& c : given)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (given.size() != right.size() || CRYPTO_memcmp(given.data(), right.data(), right.size()) != 0) {
        whyNot = "wrong password";
        return Verdict::Refused;
    }
    const auto nowSeconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (issued > nowSeconds + 5 || nowSeconds - issued > lifetime_.count()) {
        whyNot = "the nonce expired";
        return Verdict::Stale;
    }
    const std::string use = credentials.nonce + " " + credentials.nc + " " + credentials.cnonce;
    std::lock_guard lock(mutex_);
    if (!used_.insert(use).second) {
        whyNot = "a replayed response";
        return Verdict::Refused;
    }
    usedOrder_.push_back(use);
    if (usedOrder_.size() > kMaxRemembered) {
        used_.erase(usedOrder_.front());
        usedOrder_.pop_front();
    }
    return Verdict::Accepted;
}

} // namespace parley::sip
