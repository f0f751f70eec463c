// The TLS promises of docs/security.md, checked with a real OpenSSL client against the real
// parleyd process.
#include "parleyd_process.h"
#include "tls_client.h"

#include <openssl/ssl.h>

#include <catch2/catch.hpp>

#include <cstdlib>

using parley::test::HttpResponse;
using parley::test::RunningServer;
using parley::test::TlsClient;
using parley::test::TlsHandshakeError;
using parley::test::TlsOptions;

namespace {

unsigned long handshakeFailure(std::uint16_t port, const TlsOptions& options)
{
    try {
        TlsClient client(port, options);
    }
    catch (const TlsHandshakeError& e) {
        return e.reason();
    }
    return 0;
}

HttpResponse get(TlsClient& client, const std::string& path)
{
    client.write("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
    return parley::test::parseHttpResponse(client.readResponse());
}

} // namespace

TEST_CASE("TLS 1.3 is negotiated by default with an AEAD suite, and /healthz answers over it")
{
    RunningServer server;
    TlsClient client(server.port());
    CHECK(client.version() == "TLSv1.3");
    const auto cipher = client.cipher();
    CHECK((cipher == "TLS_AES_256_GCM_SHA384" || cipher == "TLS_CHACHA20_POLY1305_SHA256" ||
           cipher == "TLS_AES_128_GCM_SHA256"));
    const auto response = get(client, "/healthz");
    CHECK(response.status == 200);
    CHECK(response.body == R"({"status":"ok"})");
}

TEST_CASE("TLS 1.2 with ECDHE and an AEAD cipher is accepted")
{
    RunningServer server;
    for (const char* cipher : {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                               "ECDHE-ECDSA-CHACHA20-POLY1305"}) {
        INFO(cipher);
        TlsClient client(server.port(), {TLS1_2_VERSION, TLS1_2_VERSION, cipher, {}, -1});
        CHECK(client.version() == "TLSv1.2");
        CHECK(client.cipher() == cipher);
        CHECK(get(client, "/healthz").status == 200);
    }
}

TEST_CASE("TLS 1.1 and 1.0 handshakes are refused with a protocol_version alert")
{
    RunningServer server;
    // Security level 0 lets the client offer the old versions at all; the refusal must come
    // from the server (an alert), not from the client declining to try.
    CHECK(handshakeFailure(server.port(), {TLS1_1_VERSION, TLS1_1_VERSION, "ALL:@SECLEVEL=0", {}, 0}) ==
          SSL_R_TLSV1_ALERT_PROTOCOL_VERSION);
    CHECK(handshakeFailure(server.port(), {TLS1_VERSION, TLS1_VERSION, "ALL:@SECLEVEL=0", {}, 0}) ==
          SSL_R_TLSV1_ALERT_PROTOCOL_VERSION);
}

TEST_CASE("Non-AEAD TLS 1.2 ciphers are refused even with ECDHE")
{
    RunningServer server;
    for (const char* cipher : {"ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384",
                               "ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA"}) {
        INFO(cipher);
        CHECK(handshakeFailure(server.port(),
                               {TLS1_2_VERSION, TLS1_2_VERSION, std::string(cipher) + ":@SECLEVEL=0", {}, 0}) ==
              SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE);
    }
}

TEST_CASE("The server's cipher preference wins over the client's order")
{
    RunningServer server;
    TlsClient client(server.port(),
                     {TLS1_2_VERSION, TLS1_2_VERSION,
                      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384", {}, -1});
    CHECK(client.cipher() == "ECDHE-ECDSA-AES256-GCM-SHA384");
}

TEST_CASE("Every response, errors included, carries HSTS")
{
    RunningServer server({"--set", "tls.hsts_max_age_seconds=600"});
    for (const char* path : {"/healthz", "/readyz", "/no-such-page"}) {
        INFO(path);
        const auto response = parley::test::httpsRequest(server.port(), "GET", path);
        CHECK(response.header("strict-transport-security") == "max-age=600; includeSubDomains");
        CHECK(response.header("x-content-type-options") == "nosniff");
    }
}

TEST_CASE("A plain-HTTP request on the TLS port gets no HTTP answer, and the server carries on")
{
    RunningServer server;
    parley::test::TcpConnection plain(server.port());
    plain.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    const auto reply = plain.readAll();
    CHECK(reply.find("HTTP/") == std::string::npos);
    CHECK(reply.find("\"ok\"") == std::string::npos);
    CHECK(parley::test::httpsRequest(server.port(), "GET", "/healthz").status == 200);
}

TEST_CASE("A configured RSA certificate is served as given, with ECDHE-RSA AEAD only")
{
    parley::test::TempDir keys;
    const auto cert = keys / "server.crt";
    const auto key = keys / "server.key";
    const auto command = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
                         "-keyout " + key.string() + " -out " + cert.string() + " 2>/dev/null";
    REQUIRE(std::system(command.c_str()) == 0);
    const auto fingerprintCommand = "openssl x509 -in " + cert.string() +
                                    " -noout -fingerprint -sha256 > " + (keys / "fp").string();
    REQUIRE(std::system(fingerprintCommand.c_str()) == 0);
    auto expected = parley::test::readFile(keys / "fp");
    expected = expected.substr(expected.find('=') + 1);
    expected.erase(expected.find_last_not_of("\n") + 1);

    RunningServer server({"--set", "tls.certificate=" + cert.string(), "--set",
                          "tls.private_key=" + key.string()});
    TlsClient client(server.port());
    CHECK(client.peerKeyType() == "RSA");
    CHECK(client.peerFingerprint() == expected);
    CHECK_FALSE(std::filesystem::exists(server.dataDir() / "tls" / "selfsigned.crt"));

    TlsClient ecdhe(server.port(), {TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-RSA-AES128-GCM-SHA256", {}, -1});
    CHECK(ecdhe.cipher() == "ECDHE-RSA-AES128-GCM-SHA256");
    // AEAD but without forward secrecy: static RSA and finite-field DHE key exchange.
    CHECK(handshakeFailure(server.port(), {TLS1_2_VERSION, TLS1_2_VERSION, "AES128-GCM-SHA256", {}, -1}) ==
          SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE);
    CHECK(handshakeFailure(server.port(), {TLS1_2_VERSION, TLS1_2_VERSION, "DHE-RSA-AES128-GCM-SHA256", {}, -1}) ==
          SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE);
}

TEST_CASE("TLS 1.3 suites outside the server's list are refused")
{
    RunningServer server;
    // CCM suites are AEAD too, but not among the three the server offers; a client that
    // offers only them must not get a connection.
    for (const char* suite : {"TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256"}) {
        INFO(suite);
        CHECK(handshakeFailure(server.port(), {TLS1_3_VERSION, TLS1_3_VERSION, {}, suite, -1}) ==
              SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE);
    }
}
