#include <parley/portal/http/server_certificate.h>
#include <parley/portal/http/tls_context.h>

#include "temp_dir.h"

#include <Poco/Net/NetSSL.h>

#include <catch2/catch.hpp>

using Catch::Contains;
using parley::portal::makeServerTlsContext;
using parley::portal::TlsSetupError;
using parley::test::TempDir;

namespace {
struct SslLibrary
{
    SslLibrary() { Poco::Net::initializeSSL(); }
    ~SslLibrary() { Poco::Net::uninitializeSSL(); }
};
} // namespace

TEST_CASE("A key that belongs to another certificate is refused by name")
{
    SslLibrary ssl;
    TempDir dir;
    const auto a = parley::portal::ensureSelfSignedCertificate(dir / "a", {});
    const auto b = parley::portal::ensureSelfSignedCertificate(dir / "b", {});
    CHECK_NOTHROW(makeServerTlsContext(a.certificate, a.privateKey));
    CHECK_THROWS_WITH(makeServerTlsContext(a.certificate, b.privateKey),
                      Contains("does not belong to certificate") && Contains(a.certificate.string()));
}

TEST_CASE("Unreadable or non-PEM certificate files are refused by name")
{
    SslLibrary ssl;
    TempDir dir;
    const auto good = parley::portal::ensureSelfSignedCertificate(dir / "good", {});
    parley::test::writeFile(dir / "junk.pem", "this is not PEM\n");
    CHECK_THROWS_AS(makeServerTlsContext(dir / "absent.pem", good.privateKey), TlsSetupError);
    CHECK_THROWS_WITH(makeServerTlsContext(dir / "junk.pem", good.privateKey), Contains("junk.pem"));
    CHECK_THROWS_WITH(makeServerTlsContext(good.certificate, dir / "junk.pem"), Contains("junk.pem"));
}
