#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace parley::portal {

/// Where a server certificate and its key are, and whether they were just made.
struct CertificateFiles
{
    std::filesystem::path certificate;
    std::filesystem::path privateKey;
    bool created = false;
};

/// Where the self-signed certificate and its key are kept in `directory` (nothing is read
/// or made).
CertificateFiles selfSignedCertificateFiles(const std::filesystem::path& directory);

/// Returns the self-signed certificate kept in `directory` (created with mode 0700 if
/// missing), generating it first when it is missing, unreadable or incomplete, when its key
/// does not match it, or when it has expired: an ECDSA P-256 key (file mode 0600) and a certificate valid for 397 days whose
/// subject alternative names are `localhost`, 127.0.0.1, ::1 and each of `extraNames` (IP
/// literals become IP entries, anything else DNS entries).
///
/// Files are written under temporary names and renamed into place, so a crash never leaves
/// a certificate without its key. Throws std::runtime_error naming the path on I/O errors.
CertificateFiles ensureSelfSignedCertificate(const std::filesystem::path& directory,
                                             const std::vector<std::string>& extraNames);

/// SHA-256 fingerprint of the first certificate in a PEM file, as upper-case hex pairs
/// separated by colons (the form browsers show). Throws std::runtime_error if unreadable.
std::string certificateFingerprint(const std::filesystem::path& pemFile);

} // namespace parley::portal
