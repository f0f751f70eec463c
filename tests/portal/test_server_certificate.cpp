#include <parley/portal/http/server_certificate.h>

#include "temp_dir.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <memory>

using parley::portal::certificateFingerprint;
using parley::portal::ensureSelfSignedCertificate;
using parley::test::TempDir;

namespace {

std::unique_ptr<X509, decltype(&X509_free)> loadCertificate(const std::filesystem::path& file)
{
    std::unique_ptr<FILE, decltype(&std::fclose)> in(std::fopen(file.c_str(), "r"), std::fclose);
    REQUIRE(in);
    return {PEM_read_X509(in.get(), nullptr, nullptr, nullptr), X509_free};
}

bool hasIpAltName(X509* cert, const char* ip)
{
    return X509_check_ip_asc(cert, ip, 0) == 1;
}

} // namespace

TEST_CASE("A self-signed ECDSA P-256 certificate is generated with a private key only its owner reads")
{
    TempDir dir;
    const auto files = ensureSelfSignedCertificate(dir / "tls", {"192.0.2.10", "meet.example.org"});
    CHECK(files.created);

    const auto keyPermissions = std::filesystem::status(files.privateKey).permissions();
    CHECK((keyPermissions & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));

    const auto cert = loadCertificate(files.certificate);
    REQUIRE(cert);
    const EVP_PKEY* key = X509_get0_pubkey(cert.get());
    REQUIRE(EVP_PKEY_is_a(key, "EC"));
    char group[64] = {};
    std::size_t length = 0;
    EVP_PKEY_get_group_name(key, group, sizeof group, &length);
    CHECK(std::string(group) == "prime256v1");

    CHECK(X509_check_host(cert.get(), "localhost", 0, 0, nullptr) == 1);
    CHECK(X509_check_host(cert.get(), "meet.example.org", 0, 0, nullptr) == 1);
    CHECK(hasIpAltName(cert.get(), "127.0.0.1"));
    CHECK(hasIpAltName(cert.get(), "::1"));
    CHECK(hasIpAltName(cert.get(), "192.0.2.10"));
    CHECK(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0) == 1);
    // Valid now, and not for longer than browsers accept (398 days).
    CHECK(X509_cmp_current_time(X509_get0_notBefore(cert.get())) < 0);
    CHECK(X509_cmp_time(X509_get0_notAfter(cert.get()), nullptr) > 0);
    int days = 0;
    int seconds = 0;
    ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert.get()), X509_get0_notAfter(cert.get()));
    CHECK(days <= 398);
}

TEST_CASE("An existing self-signed certificate is reused, not regenerated")
{
    TempDir dir;
    const auto first = ensureSelfSignedCertificate(dir.path(), {});
    const auto fingerprint = certificateFingerprint(first.certificate);
    const auto again = ensureSelfSignedCertificate(dir.path(), {});
    CHECK_FALSE(again.created);
    CHECK(certificateFingerprint(again.certificate) == fingerprint);
}

TEST_CASE("A damaged or mismatched certificate pair is replaced")
{
    TempDir dir;
    const auto first = ensureSelfSignedCertificate(dir / "a", {});
    const auto other = ensureSelfSignedCertificate(dir / "b", {});
    const auto fingerprint = certificateFingerprint(first.certificate);

    // The key of another certificate: the pair no longer works, so it is regenerated.
    std::filesystem::copy_file(other.privateKey, first.privateKey,
                               std::filesystem::copy_options::overwrite_existing);
    const auto replaced = ensureSelfSignedCertificate(dir / "a", {});
    CHECK(replaced.created);
    CHECK(certificateFingerprint(replaced.certificate) != fingerprint);

    parley::test::writeFile(replaced.certificate, "-----BEGIN CERTIFICATE-----\ngarbage\n");
    CHECK(ensureSelfSignedCertificate(dir / "a", {}).created);
}

TEST_CASE("The fingerprint is the SHA-256 of the certificate in colon-separated hex")
{
    TempDir dir;
    const auto files = ensureSelfSignedCertificate(dir.path(), {});
    const auto fingerprint = certificateFingerprint(files.certificate);
    CHECK(fingerprint.size() == 32 * 3 - 1);
    CHECK(fingerprint.find_first_not_of("0123456789ABCDEF:") == std::string::npos);
    CHECK_THROWS(certificateFingerprint(dir / "absent.pem"));
}
