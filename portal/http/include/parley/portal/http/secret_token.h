#pragma once

#include <string>

namespace parley::portal {

/// 32 random bytes from OpenSSL's generator as unpadded base64url (43 characters): session
/// tokens, CSRF tokens, link secrets and invitation keys. Throws std::runtime_error if the
/// generator fails.
std::string randomToken();

/// Hex SHA-256 of a token: what is stored instead of the token itself.
std::string tokenHash(const std::string& token);

} // namespace parley::portal
