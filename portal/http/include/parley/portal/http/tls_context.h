#pragma once

#include <Poco/Net/Context.h>

#include <filesystem>
#include <stdexcept>

namespace parley::portal {

class LiveCertificate;

/// Thrown when the certificate or key cannot be used; the message names the file.
class TlsSetupError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// The cipher suites the portal accepts: ECDHE key exchange with AEAD ciphers only for
/// TLS 1.2, and the AEAD suites of TLS 1.3. Listed in the server's order of preference.
inline constexpr const char* kTls12CipherList =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";
inline constexpr const char* kTls13CipherSuites =
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";

/// Builds the server TLS context for HTTPS and WSS: TLS 1.2 and 1.3 only, the cipher lists
/// above with the server's preference, no compression or renegotiation, no client
/// certificate requested.
///
/// Throws TlsSetupError if either file cannot be read or parsed, or the key does not belong
/// to the certificate.
Poco::Net::Context::Ptr makeServerTlsContext(const std::filesystem::path& certificateFile,
                                             const std::filesystem::path& privateKeyFile);

/// The same policy, presenting on each new connection the certificate `certificate` has in
/// service at that moment (LiveCertificate::serveOn), which must outlive the context.
Poco::Net::Context::Ptr makeServerTlsContext(LiveCertificate& certificate);

} // namespace parley::portal
