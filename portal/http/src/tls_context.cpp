#include <parley/portal/http/tls_context.h>

#include <parley/portal/http/live_certificate.h>

#include <Poco/Net/SSLException.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <fstream>

namespace parley::portal {
namespace {

void requireReadable(const std::filesystem::path& file, const char* what)
{
    std::ifstream in(file);
    if (!in)
        throw TlsSetupError(std::string("cannot read the TLS ") + what + " file " + file.string());
}

std::string lastOpenSslError()
{
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0)
        return "unknown OpenSSL error";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

Poco::Net::Context::Params policyParams()
{
    Poco::Net::Context::Params params;
    params.verificationMode = Poco::Net::Context::VERIFY_NONE;
    params.loadDefaultCAs = false;
    params.cipherList = kTls12CipherList;
    params.ecdhCurve = "X25519:P-256:P-384";
    return params;
}

void applyPolicy(Poco::Net::Context& context)
{
    SSL_CTX* ssl = context.sslContext();
    context.requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    context.preferServerCiphers();
    if (SSL_CTX_set_ciphersuites(ssl, kTls13CipherSuites) != 1)
        throw TlsSetupError("OpenSSL refused the TLS 1.3 cipher suites: " + lastOpenSslError());
    SSL_CTX_set_options(ssl, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    // An idle connection (most signaling connections, most of the time) gives its record
    // buffers back, about 34 KiB each, as nginx does.
    SSL_CTX_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
}

} // namespace

Poco::Net::Context::Ptr makeServerTlsContext(LiveCertificate& certificate)
{
    Poco::Net::Context::Ptr context;
    try {
        context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, policyParams());
    }
    catch (const Poco::Net::SSLException& e) {
        throw TlsSetupError("cannot create the TLS context: " + e.displayText());
    }
    applyPolicy(*context);
    certificate.serveOn(context->sslContext());
    return context;
}

Poco::Net::Context::Ptr makeServerTlsContext(const std::filesystem::path& certificateFile,
                                             const std::filesystem::path& privateKeyFile)
{
    requireReadable(certificateFile, "certificate");
    requireReadable(privateKeyFile, "private key");

    auto params = policyParams();
    params.certificateFile = certificateFile.string();
    params.privateKeyFile = privateKeyFile.string();

    Poco::Net::Context::Ptr context;
    try {
        context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
    }
    catch (const Poco::Net::SSLException& e) {
        throw TlsSetupError("cannot load certificate " + certificateFile.string() + " with key " +
                            privateKeyFile.string() + ": " + e.displayText());
    }

    SSL_CTX* ssl = context->sslContext();
    if (SSL_CTX_check_private_key(ssl) != 1)
        throw TlsSetupError("private key " + privateKeyFile.string() +
                            " does not belong to certificate " + certificateFile.string() + " (" +
                            lastOpenSslError() + ")");
    applyPolicy(*context);
    return context;
}

} // namespace parley::portal
