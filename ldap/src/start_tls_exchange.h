#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parley::ldap {

/// The bytes of an LDAP StartTLS extended request (RFC 4511 section 4.14.1), message ID 1.
std::string startTlsRequest();

/// The whole size (tag, length and contents) of the LDAPMessage `data` starts with: 0 while
/// `data` is too short to tell, nullopt when it does not start like one (a SEQUENCE with a
/// definite length of at most 4 length bytes, RFC 4511 section 5.1) or would be longer than
/// `maxSize`.
std::optional<std::size_t> ldapMessageSize(std::string_view data, std::size_t maxSize);

/// The resultCode of `message` (one whole BER element) if it is an LDAP ExtendedResponse to
/// message 1; nullopt for anything else, however malformed.
std::optional<int> extendedResultCode(std::string_view message);

} // namespace parley::ldap
