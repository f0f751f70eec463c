#pragma once

#include <openssl/crypto.h>

#include <string_view>

namespace parley::portal {

/// Compares secrets (tokens, link secrets, PINs) in time that does not depend on where they
/// differ; only the length may show.
inline bool equalConstantTime(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace parley::portal
