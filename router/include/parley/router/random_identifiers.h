#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace parley::router {

/// ICE credential lengths the router and its in-process clients use: a username fragment
/// of 8 characters and a password of 24 (RFC 8445 5.3: at least 128 bits, 24 x ~5.95 bits).
inline constexpr std::size_t kIceUfragLength = 8;
inline constexpr std::size_t kIcePasswordLength = 24;

/// A random nonzero SSRC from OpenSSL's generator.
std::uint32_t randomSsrc();

/// `length` characters of [A-Za-z0-9], each equally likely, from OpenSSL's generator: an
/// ICE username fragment or password (ice-char, RFC 8839).
std::string randomIceToken(std::size_t length);

} // namespace parley::router
