#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace parley::sip {

/// The fields of a Digest `Authorization` header (RFC 2617, RFC 3261 §22.4).
struct DigestCredentials
{
    std::string username, realm, nonce, uri, response, algorithm, qop, nc, cnonce, opaque;
};

/// Reads the header's parameters as sofia-sip splits them (`name=value`, the value quoted or
/// not). Returns nothing, and says why in `whyNot`, when a required field (username, realm,
/// nonce, uri, response) is missing, a field repeats, a value is over 512 bytes, there are
/// more than 32 of them, or qop is given without nc and cnonce. Never throws.
std::optional<DigestCredentials> readDigestCredentials(const std::vector<std::string_view>& params,
                                                       std::string& whyNot);

/// Lowercase hex MD5 of "username:realm:password": what Parley stores for a SIP endpoint
/// (RFC 2617's HA1). The password itself is never stored.
std::string digestHa1(std::string_view username, std::string_view realm, std::string_view password);

/// SIP digest authentication as a server (UAS) does it: MD5 with qop=auth, the only form
/// that deployed phones and baresip all speak. Nonces carry their issue time and an
/// HMAC-SHA256 under a random key made at construction, so no state is kept per challenge;
/// a nonce counts for `nonceLifetime`, and each (nonce, nc, cnonce) is accepted once.
/// Thread-safe.
class DigestAuthenticator
{
public:
    /// Throws std::runtime_error when OpenSSL's random generator fails.
    explicit DigestAuthenticator(std::string realm,
                                 std::chrono::seconds nonceLifetime = std::chrono::minutes(5));

    const std::string& realm() const { return realm_; }

    /// The value of a WWW-Authenticate header asking for credentials; `stale` says the
    /// previous nonce expired (the phone retries without asking its user).
    std::string challenge(std::chrono::system_clock::time_point now, bool stale = false) const;

    enum class Verdict
    {
        Accepted,
        Stale,   ///< right credentials, expired nonce: challenge again with stale=true
        Refused, ///< wrong password, forged or replayed nonce, wrong realm or algorithm
    };

    /// Checks `credentials` for a request `method` against the endpoint's stored HA1 (hex).
    /// `whyNot` gets a reason for the log when it is not Accepted (never the secret).
    Verdict verify(const DigestCredentials& credentials, std::string_view method, std::string_view ha1,
                   std::chrono::system_clock::time_point now, std::string& whyNot);

private:
    std::string nonceFor(std::int64_t issuedAt) const;

    std::string realm_;
    std::chrono::seconds lifetime_;
    std::array<std::uint8_t, 32> key_{};
    std::mutex mutex_;
    std::set<std::string> used_;       ///< "nonce nc cnonce" seen
    std::deque<std::string> usedOrder_; ///< oldest first, to bound used_
};

} // namespace parley::sip
