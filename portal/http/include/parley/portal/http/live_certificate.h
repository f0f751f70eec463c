#pragma once

#include <parley/portal/http/certificate_chain.h>

#include <openssl/ssl.h>

#include <filesystem>
#include <memory>
#include <mutex>

namespace parley::portal {

/// The certificate the HTTPS listener presents, replaceable while it runs.
///
/// Two sources: the configured files (`tls.certificate`/`tls.private_key`, or the generated
/// self-signed pair), the default; and a certificate uploaded through the admin API, stored
/// in `uploadFile` (chain then key, mode 0600) so that it survives a restart and wins over
/// the configured files until it is removed.
///
/// serveOn() installs an OpenSSL certificate callback: every handshake takes the chain in
/// service at that moment, so a replacement reaches each new connection at once while the
/// connections already open (meeting signaling) keep theirs, untouched.
class LiveCertificate
{
public:
    enum class Source
    {
        ConfigurationFile,
        Uploaded,
    };

    /// What serves new connections, and where it came from.
    struct InService
    {
        std::shared_ptr<const CertificateChain> chain;
        Source source = Source::ConfigurationFile;
    };

    /// Loads the upload when `uploadFile` exists (if it cannot be used, says why in the log
    /// and falls back), else the configured files. Throws TlsSetupError (tls_context.h),
    /// naming the file, when the configured files are needed and cannot be read, do not
    /// parse, or the key does not belong to the certificate.
    LiveCertificate(std::filesystem::path certificateFile, std::filesystem::path privateKeyFile,
                    std::filesystem::path uploadFile);

    LiveCertificate(const LiveCertificate&) = delete;
    LiveCertificate& operator=(const LiveCertificate&) = delete;

    /// The certificate in service now. Thread-safe.
    InService current() const;

    /// Writes the chain in service then its key, in PEM, to `file` as the upload is stored
    /// (mode 0600, its directory 0700, written aside and renamed): for a server that reads its
    /// certificate from a file of its own (SIP's agent.pem). Throws std::runtime_error naming
    /// the path when it cannot be written.
    void writeCurrent(const std::filesystem::path& file) const;

    /// Stores `chain` in the upload file (written to a temporary file, flushed, then renamed
    /// over the old one; its directory is created with mode 0700 if missing) and puts it in
    /// service. Returns what served before. Throws std::runtime_error naming the path when it
    /// cannot be written; then nothing changes. The caller checks the chain first
    /// (CertificateChain::checkForService).
    InService replace(const CertificateChain& chain);

    /// Removes the upload and serves the configured files again. Returns what served before.
    /// Throws TlsSetupError if the configured files cannot be used (then nothing changes).
    InService useConfiguredFiles();

    /// Re-reads the files in force (the upload when stored, else the configured files), e.g.
    /// after an operator replaced them on disk. On failure the certificate in service stays
    /// and TlsSetupError says why. Returns what serves now.
    InService reload();

    /// Makes each new handshake on `context` present the certificate in service. `this` must
    /// outlive every connection made with the context.
    void serveOn(SSL_CTX* context);

private:
    InService load() const;
    InService configured() const;
    InService swap(InService next);

    std::filesystem::path certificateFile_;
    std::filesystem::path privateKeyFile_;
    std::filesystem::path uploadFile_;
    mutable std::mutex mutex_;
    InService current_; ///< guarded by mutex_
    std::mutex writeMutex_; ///< one writer of the upload file at a time
};

} // namespace parley::portal
