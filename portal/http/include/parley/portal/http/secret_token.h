#pragma once

#include <cstddef>
#include <string>

namespace parley::portal {

/// `count` random bytes from OpenSSL's generator. Throws std::runtime_error if it fails.
std::string randomBytes(std::size_t count);

/// 32 random bytes from OpenSSL's generator as unpadded base64url (43 characters): session
/// tokens, CSRF tokens, link secrets and invitation keys. Throws std::runtime_error if the
/// generator fails.
std::string randomToken();

/// A password an admin can read out or type: 20 characters in four groups of five
/// ("k7Hq2-..."), from 57 letters and digits without look-alikes (0/O, 1/l/I), about 116 bits
/// from OpenSSL's generator.
std::string randomPassword();

/// Hex SHA-256 of a token: what is stored instead of the token itself.
std::string tokenHash(const std::string& token);

} // namespace parley::portal
