#pragma once

#include <parley/ldap/directory_settings.h>

#include <string>

namespace parley::ldap {

/// What is wrong with the TLS set-up of the server at `uri`, in an admin's words: the
/// certificate names other hosts, is issued by a CA not trusted (ca_file), has expired, the
/// server refuses StartTLS or speaks no TLS at that port. Found by a TLS handshake of its own
/// with OpenSSL (StartTLS first for ldap://), since Debian's libldap (GnuTLS) reports a
/// failed verification only as "(unknown error code)". Each step waits at most the network
/// timeout. Empty when it finds nothing wrong.
std::string diagnoseTls(const DirectorySettings& settings, const std::string& uri);

} // namespace parley::ldap
