#include <parley/portal/http/live_certificate.h>
#include <parley/portal/http/server_certificate.h>
#include <parley/portal/http/tls_context.h>

#include "temp_dir.h"
#include "test_certificates.h"

#include <catch2/catch.hpp>

#include <filesystem>

using parley::portal::CertificateChain;
using parley::portal::LiveCertificate;
using parley::portal::TlsSetupError;
using parley::test::makeTestCertificate;
using parley::test::TempDir;
using parley::test::writeFile;

namespace fs = std::filesystem;

TEST_CASE("reload() takes certificate files replaced on disk, and keeps the old one when they are broken")
{
    TempDir dir;
    const auto first = makeTestCertificate({});
    writeFile(dir / "server.crt", first.pem());
    writeFile(dir / "server.key", first.keyPem());
    LiveCertificate live(dir / "server.crt", dir / "server.key", dir / "uploaded.pem");
    CHECK(live.current().chain->fingerprintSha256() == first.fingerprint());
    CHECK(live.current().source == LiveCertificate::Source::ConfigurationFile);

    const auto second = makeTestCertificate({.keyType = "rsa-2048"});
    writeFile(dir / "server.crt", second.pem());
    writeFile(dir / "server.key", second.keyPem());
    CHECK(live.reload().chain->fingerprintSha256() == second.fingerprint());
    CHECK(live.current().chain->fingerprintSha256() == second.fingerprint());

    // A key from another pair, then a truncated file: refused, and the certificate stays.
    writeFile(dir / "server.key", first.keyPem());
    CHECK_THROWS_AS(live.reload(), TlsSetupError);
    writeFile(dir / "server.crt", second.pem().substr(0, 100));
    CHECK_THROWS_AS(live.reload(), TlsSetupError);
    CHECK(live.current().chain->fingerprintSha256() == second.fingerprint());
}

TEST_CASE("An uploaded certificate is stored privately, loaded at the next start, and a damaged one is skipped")
{
    TempDir dir;
    const auto configured = makeTestCertificate({});
    writeFile(dir / "server.crt", configured.pem());
    writeFile(dir / "server.key", configured.keyPem());
    const auto upload = makeTestCertificate({.keyType = "ec-p384"});
    const auto stored = dir / "tls" / "uploaded.pem";
    {
        LiveCertificate live(dir / "server.crt", dir / "server.key", stored);
        const auto before = live.replace(CertificateChain::fromPem(upload.pem(), upload.keyPem()));
        CHECK(before.chain->fingerprintSha256() == configured.fingerprint());
        CHECK(live.current().source == LiveCertificate::Source::Uploaded);
    }
    CHECK((fs::status(stored).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
    CHECK((fs::status(stored.parent_path()).permissions() & fs::perms::all) == fs::perms::owner_all);
    CHECK_FALSE(fs::exists(fs::path(stored).concat(".new")));
    {
        LiveCertificate restarted(dir / "server.crt", dir / "server.key", stored);
        CHECK(restarted.current().chain->fingerprintSha256() == upload.fingerprint());
        CHECK(restarted.current().source == LiveCertificate::Source::Uploaded);
    }
    writeFile(stored, "-----BEGIN CERTIFICATE-----\ngarbage\n");
    LiveCertificate fallback(dir / "server.crt", dir / "server.key", stored);
    CHECK(fallback.current().chain->fingerprintSha256() == configured.fingerprint());
    CHECK(fallback.current().source == LiveCertificate::Source::ConfigurationFile);
}
