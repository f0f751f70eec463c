#include <parley/portal/http/live_certificate.h>

#include <parley/log/log_event.h>

#include <parley/portal/http/tls_context.h>

#include <Poco/Logger.h>

#include <openssl/err.h>

#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace parley::portal {
namespace {

namespace fs = std::filesystem;

Poco::Logger& logger()
{
    return Poco::Logger::get("portal.tls");
}

// A certificate file is a few kilobytes; a megabyte is someone pointing at the wrong file.
constexpr std::uintmax_t kMaxFileBytes = 1024 * 1024;

std::string readText(const fs::path& file, const char* what)
{
    std::error_code error;
    const auto size = fs::file_size(file, error);
    if (error)
        throw TlsSetupError(std::string("cannot read the TLS ") + what + " file " + file.string() + ": " +
                            error.message());
    if (size > kMaxFileBytes)
        throw TlsSetupError(std::string("the TLS ") + what + " file " + file.string() + " is larger than 1 MiB");
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in)
        throw TlsSetupError(std::string("cannot read the TLS ") + what + " file " + file.string());
    return text.str();
}

/// Writes `text` to `file` atomically: a temporary file created with mode 0600, flushed to
/// disk, then renamed over `file`. A crash leaves the old file or the new one, never half.
void writePrivateFileAtomically(const fs::path& file, const std::string& text)
{
    fs::create_directories(file.parent_path());
    fs::permissions(file.parent_path(), fs::perms::owner_all, fs::perm_options::replace);
    const auto temporary = fs::path(file).concat(".new");
    fs::remove(temporary);
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        throw std::runtime_error("cannot create " + temporary.string());
    std::size_t written = 0;
    while (written < text.size()) {
        const auto n = ::write(fd, text.data() + written, text.size() - written);
        if (n <= 0) {
            ::close(fd);
            fs::remove(temporary);
            throw std::runtime_error("cannot write " + temporary.string());
        }
        written += static_cast<std::size_t>(n);
    }
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!synced) {
        fs::remove(temporary);
        throw std::runtime_error("cannot write " + temporary.string() + " to disk");
    }
    fs::rename(temporary, file);
}

// OpenSSL calls this for each handshake once the ClientHello is read, before it picks the
// certificate and cipher: the connection gets the chain in service at that moment.
int presentCurrentCertificate(SSL* ssl, void* argument)
{
    const auto chain = static_cast<const LiveCertificate*>(argument)->current().chain;
    // Whatever the context holds goes first, so an RSA leaf never sits beside a stale EC one.
    SSL_certs_clear(ssl);
    if (SSL_use_certificate(ssl, chain->leaf()) != 1 || SSL_use_PrivateKey(ssl, chain->key()) != 1 ||
        SSL_set1_chain(ssl, chain->intermediates()) != 1) {
        log::error(logger(), "tls.present_failed", "cannot present the TLS certificate on a connection");
        return 0; // the handshake fails with an internal error alert
    }
    return 1;
}

} // namespace

LiveCertificate::LiveCertificate(fs::path certificateFile, fs::path privateKeyFile, fs::path uploadFile)
    : certificateFile_(std::move(certificateFile)), privateKeyFile_(std::move(privateKeyFile)),
      uploadFile_(std::move(uploadFile))
{
    current_ = load();
}

LiveCertificate::InService LiveCertificate::configured() const
{
    try {
        const auto chain = CertificateChain::fromFileContents(readText(certificateFile_, "certificate"),
                                                              readText(privateKeyFile_, "private key"));
        return {std::make_shared<const CertificateChain>(chain), Source::ConfigurationFile};
    }
    catch (const CertificateRejected& e) {
        if (e.code() == "key_mismatch")
            throw TlsSetupError("private key " + privateKeyFile_.string() + " does not belong to certificate " +
                                certificateFile_.string());
        throw TlsSetupError("cannot use certificate " + certificateFile_.string() + " with key " +
                            privateKeyFile_.string() + ": " + e.what());
    }
}

LiveCertificate::InService LiveCertificate::load() const
{
    if (!uploadFile_.empty() && fs::exists(uploadFile_)) {
        try {
            const auto text = readText(uploadFile_, "uploaded certificate");
            return {std::make_shared<const CertificateChain>(CertificateChain::fromFileContents(text, text)),
                    Source::Uploaded};
        }
        catch (const std::exception& e) {
            log::error(logger(), "tls.upload_unusable",
                       "the uploaded certificate " + uploadFile_.string() + " cannot be used (" + e.what() +
                           "); serving the configured certificate " + certificateFile_.string() + " instead",
                       {{"file", uploadFile_.string()}, {"error", e.what()}});
        }
    }
    return configured();
}

void LiveCertificate::writeCurrent(const std::filesystem::path& file) const
{
    writePrivateFileAtomically(file, current().chain->pem());
}

LiveCertificate::InService LiveCertificate::current() const
{
    std::lock_guard lock(mutex_);
    return current_;
}

LiveCertificate::InService LiveCertificate::swap(InService next)
{
    std::lock_guard lock(mutex_);
    std::swap(current_, next);
    return next;
}

LiveCertificate::InService LiveCertificate::replace(const CertificateChain& chain)
{
    std::lock_guard write(writeMutex_);
    if (uploadFile_.empty())
        throw std::runtime_error("no file is configured for an uploaded certificate");
    writePrivateFileAtomically(uploadFile_, chain.pem());
    return swap({std::make_shared<const CertificateChain>(chain), Source::Uploaded});
}

LiveCertificate::InService LiveCertificate::useConfiguredFiles()
{
    std::lock_guard write(writeMutex_);
    auto next = configured(); // before the upload goes: a broken file must not leave us with none
    if (!uploadFile_.empty())
        fs::remove(uploadFile_);
    return swap(std::move(next));
}

LiveCertificate::InService LiveCertificate::reload()
{
    std::lock_guard write(writeMutex_);
    InService next;
    if (!uploadFile_.empty() && fs::exists(uploadFile_)) {
        try {
            const auto text = readText(uploadFile_, "uploaded certificate");
            next = {std::make_shared<const CertificateChain>(CertificateChain::fromFileContents(text, text)),
                    Source::Uploaded};
        }
        catch (const CertificateRejected& e) {
            throw TlsSetupError("cannot use the uploaded certificate " + uploadFile_.string() + ": " + e.what());
        }
    }
    else {
        next = configured();
    }
    swap(next);
    log::info(logger(), "tls.reloaded",
              "TLS certificate reloaded: SHA-256 " + next.chain->fingerprintSha256(),
              {{"sha256", next.chain->fingerprintSha256()}});
    return next;
}

void LiveCertificate::serveOn(SSL_CTX* context)
{
    SSL_CTX_set_cert_cb(context, presentCurrentCertificate, this);
}

} // namespace parley::portal
