// PUT /api/v1/admin/tls: a certificate uploaded through the API is checked, then served to
// new TLS connections at once by the running parleyd while open connections stay up.
#include "account_fixture.h"
#include "test_certificates.h"
#include "temp_dir.h"
#include "ws_client.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include <openssl/ssl.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <thread>

using namespace parley::test;
using Catch::Contains;

namespace {

std::string tlsBody(const std::string& chain, const std::string& key)
{
    return "{\"certificateChain\":" + jsonString(chain) + ",\"privateKey\":" + jsonString(key) + "}";
}

/// A private CA, an intermediate and leaves from them: what an enterprise PKI hands out.
struct TestPki
{
    TestCertificate root = makeTestCertificate({.commonName = "Parley Test Root", .names = {}, .ca = true});
    TestCertificate intermediate =
        makeTestCertificate({.commonName = "Parley Test Issuing CA", .names = {}, .ca = true}, &root);

    TestCertificate leaf(CertificateSpec spec = {}) const { return makeTestCertificate(spec, &intermediate); }
    std::string chainOf(const TestCertificate& leaf) const
    {
        return leaf.pem() + intermediate.pem() + root.pem();
    }
};

std::string servedFingerprint(std::uint16_t port)
{
    return TlsClient(port).peerFingerprint();
}

HttpResponse get(TlsClient& client, const std::string& path)
{
    client.write("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
    return parseHttpResponse(client.readResponse());
}

} // namespace

TEST_CASE("An uploaded certificate serves new connections at once while open ones stay connected")
{
    TempDir dir;
    const auto dataDir = dir / "data";
    REQUIRE(runParleyctl(ctlArgs(dataDir) + " user create-admin admin", kAdminPassword).exitCode == 0);
    const auto args = fastAccounts({"--set", "server.data_dir=" + dataDir.string(), "--set", "server.port=0",
                                    "--set", "server.public_url=https://meet.parley.test"});
    TestPki pki;
    const auto leaf = pki.leaf({.commonName = "meet.parley.test", .names = {"DNS:meet.parley.test", "IP:127.0.0.1"}});
    std::string generated;
    {
        ParleydProcess process(args, dir.path());
        const auto port = process.servingPort();
        REQUIRE(port != 0);
        ApiClient admin(port);
        REQUIRE(admin.login("admin", kAdminPassword).status == 200);

        const auto before = json(admin.call("GET", "/api/v1/admin/tls").body);
        CHECK(before->getValue<std::string>("source") == "configuration_file");
        CHECK(before->getValue<bool>("selfSigned"));
        CHECK_FALSE(before->getValue<bool>("coversPublicHost"));
        generated = before->getValue<std::string>("fingerprintSha256");
        CHECK(servedFingerprint(port) == generated);

        // Open before the change: a keep-alive connection and a signaling WebSocket.
        TlsClient keptAlive(port);
        REQUIRE(get(keptAlive, "/healthz").status == 200);
        WsClient signaling(port);

        const auto uploaded = admin.call("PUT", "/api/v1/admin/tls", tlsBody(pki.chainOf(leaf), leaf.keyPem()));
        REQUIRE(uploaded.status == 200);
        const auto status = json(uploaded.body);
        CHECK(status->getValue<std::string>("fingerprintSha256") == leaf.fingerprint());
        CHECK(status->getValue<std::string>("source") == "uploaded");
        CHECK(status->getValue<std::string>("subject") == "CN=meet.parley.test");
        CHECK(status->getValue<std::string>("issuer") == "CN=Parley Test Issuing CA");
        CHECK(status->getArray("names")->size() == 2);
        CHECK(status->getValue<bool>("coversPublicHost"));
        CHECK_FALSE(status->getValue<bool>("selfSigned"));
        CHECK(status->getValue<int>("daysLeft") == 89);
        CHECK_FALSE(status->getValue<bool>("expiresSoon"));

        // A new connection sees the new certificate at once; the open ones go on working.
        CHECK(servedFingerprint(port) == leaf.fingerprint());
        CHECK(TlsClient(port).peerChainLength() == 3); // with its intermediate and root
        CHECK(get(keptAlive, "/healthz").status == 200);
        CHECK(keptAlive.peerFingerprint() == generated);
        signaling.sendFrame(9, "still-there");
        const auto pong = signaling.receive();
        CHECK(pong.kind == WsClient::Frame::Kind::Pong);
        CHECK(pong.payload == "still-there");

        // Stored for the server only, and audited old -> new.
        const auto stored = dataDir / "tls" / "uploaded.pem";
        REQUIRE(std::filesystem::exists(stored));
        const auto privateToServer = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
        CHECK((std::filesystem::status(stored).permissions() & std::filesystem::perms::all) == privateToServer);
        const auto audit = json(admin.call("GET", "/api/v1/audit?action=config.change").body)->getArray("entries");
        REQUIRE(audit->size() == 1);
        const auto change = audit->getObject(0);
        CHECK(change->getValue<std::string>("target") == "tls");
        CHECK(change->getValue<std::string>("actor") == "admin");
        const auto fingerprint = change->getObject("details")->getObject("fingerprintSha256");
        CHECK(fingerprint->getValue<std::string>("from") == generated);
        CHECK(fingerprint->getValue<std::string>("to") == leaf.fingerprint());
        CHECK(admin.call("GET", "/api/v1/audit").body.find("PRIVATE KEY") == std::string::npos);

        process.signal(SIGTERM);
        REQUIRE(process.waitForExit() == 0);
    }
    {
        // The upload outlives a restart and wins over the configured (here generated) files,
        // until it is removed.
        ParleydProcess process(args, dir.path());
        const auto port = process.servingPort();
        REQUIRE(port != 0);
        CHECK(servedFingerprint(port) == leaf.fingerprint());
        ApiClient admin(port);
        REQUIRE(admin.login("admin", kAdminPassword).status == 200);
        CHECK(json(admin.call("GET", "/api/v1/admin/tls").body)->getValue<std::string>("source") == "uploaded");

        const auto removed = admin.call("DELETE", "/api/v1/admin/tls");
        REQUIRE(removed.status == 200);
        CHECK(json(removed.body)->getValue<std::string>("source") == "configuration_file");
        CHECK(servedFingerprint(port) == generated);
        CHECK_FALSE(std::filesystem::exists(dataDir / "tls" / "uploaded.pem"));
    }
}

TEST_CASE("An RSA certificate replaces the ECDSA one, for TLS 1.2 and 1.3 clients alike")
{
    ServerWithAdmin server;
    auto admin = server.admin();
    TestPki pki;
    const auto leaf = pki.leaf({.keyType = "rsa-2048"});
    REQUIRE(admin.call("PUT", "/api/v1/admin/tls", tlsBody(pki.chainOf(leaf), leaf.keyPem())).status == 200);
    TlsClient modern(server.port());
    CHECK(modern.peerKeyType() == "RSA");
    CHECK(modern.peerFingerprint() == leaf.fingerprint());
    TlsClient older(server.port(), {TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-RSA-AES128-GCM-SHA256", {}, -1});
    CHECK(older.cipher() == "ECDHE-RSA-AES128-GCM-SHA256");
    CHECK(older.peerFingerprint() == leaf.fingerprint());
}

TEST_CASE("A certificate that cannot serve is refused with a precise code, and the old one stays")
{
    ServerWithAdmin server;
    auto admin = server.admin();
    const auto served = servedFingerprint(server.port());
    TestPki pki;
    const auto good = pki.leaf();
    const auto other = pki.leaf();
    const auto refusal = [&](const std::string& chain, const std::string& key) {
        const auto response = admin.call("PUT", "/api/v1/admin/tls", tlsBody(chain, key));
        CHECK(response.status == 400);
        return errorCode(response) + ": " + json(response.body)->getObject("error")->getValue<std::string>("message");
    };

    CHECK_THAT(refusal(pki.chainOf(good), other.keyPem()), Contains("key_mismatch"));
    // The intermediates left out, a chain in the wrong order, a CA nobody trusts.
    CHECK_THAT(refusal(good.pem(), good.keyPem()), Contains("chain_incomplete") && Contains("Parley Test Issuing CA"));
    CHECK_THAT(refusal(good.pem() + pki.root.pem() + pki.intermediate.pem(), good.keyPem()),
               Contains("chain_incomplete") && Contains("is not issued by the next one"));
    CHECK_THAT(refusal(good.pem() + pki.intermediate.pem(), good.keyPem()), Contains("chain_incomplete"));
    const auto expired = pki.leaf({.validFromSeconds = -90 * 86400, .validUntilSeconds = -86400});
    CHECK_THAT(refusal(pki.chainOf(expired), expired.keyPem()), Contains("expired"));
    const auto early = pki.leaf({.validFromSeconds = 86400, .validUntilSeconds = 90 * 86400});
    CHECK_THAT(refusal(pki.chainOf(early), early.keyPem()), Contains("not_yet_valid"));
    const auto nameless = pki.leaf({.names = {}});
    CHECK_THAT(refusal(pki.chainOf(nameless), nameless.keyPem()), Contains("no_names"));
    const auto weak = pki.leaf({.keyType = "rsa-1024"});
    CHECK_THAT(refusal(pki.chainOf(weak), weak.keyPem()), Contains("unsupported_key") && Contains("1024"));
    const auto p521 = pki.leaf({.keyType = "ec-p521"});
    CHECK_THAT(refusal(pki.chainOf(p521), p521.keyPem()), Contains("unsupported_key"));

    // Hostile PEM: garbage, a truncated chain, a key in the chain, an encrypted key.
    CHECK_THAT(refusal("hello", good.keyPem()), Contains("invalid_pem"));
    const auto chain = pki.chainOf(good);
    CHECK_THAT(refusal(chain.substr(0, chain.size() / 2), good.keyPem()), Contains("invalid_pem"));
    CHECK_THAT(refusal(chain + good.keyPem(), good.keyPem()), Contains("invalid_pem") && Contains("PRIVATE KEY"));
    CHECK_THAT(refusal(chain, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n"),
               Contains("invalid_pem"));
    CHECK_THAT(refusal(chain, good.pem()), Contains("invalid_pem"));
    std::string corrupted = good.pem();
    corrupted[corrupted.size() / 2] = '*'; // not base64
    CHECK_THAT(refusal(corrupted, good.keyPem()), Contains("invalid_pem"));
    std::string many;
    for (int i = 0; i < 12; ++i)
        many += good.pem();
    CHECK_THAT(refusal(many, good.keyPem()), Contains("invalid_pem"));
    CHECK(admin.call("PUT", "/api/v1/admin/tls", R"({"certificateChain": 7})").status == 400);
    CHECK(admin.call("PUT", "/api/v1/admin/tls", "not json").status == 400);
    CHECK_THAT(refusal(std::string(100 * 1024, 'A'), good.keyPem()), Contains("invalid_pem") && Contains("larger"));
    {
        // Beyond the body limit: answered from the Content-Length alone, so the write may fail.
        TlsClient raw(server.port());
        const auto huge = tlsBody(std::string(2 * 1024 * 1024, 'A'), good.keyPem());
        try {
            raw.write("PUT /api/v1/admin/tls HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                      "Cookie: __Host-parley_session=" + admin.cookie() + "\r\nX-CSRF-Token: " + admin.csrf() +
                      "\r\nContent-Length: " + std::to_string(huge.size()) + "\r\n\r\n" + huge);
        }
        catch (const std::runtime_error&) {
        }
        CHECK(parseHttpResponse(raw.readAll()).status == 413);
    }

    CHECK(servedFingerprint(server.port()) == served);
    const auto status = json(admin.call("GET", "/api/v1/admin/tls").body);
    CHECK(status->getValue<std::string>("fingerprintSha256") == served);
    // Each refusal is audited with its reason.
    const auto failures = json(admin.call("GET", "/api/v1/audit?action=config.change&outcome=failure&per_page=100").body);
    CHECK(failures->getValue<int>("total") >= 16);
    CHECK_THAT(admin.call("GET", "/api/v1/audit/export?action=config.change").body, Contains("chain_incomplete"));
}

TEST_CASE("Only admins see or change the TLS certificate, with the CSRF token")
{
    ServerWithAdmin server;
    auto user = server.userWithRole("plainuser", "user");
    auto auditor = server.userWithRole("auditor", "auditor");
    auto admin = server.admin();
    TestPki pki;
    const auto leaf = pki.leaf();
    const auto body = tlsBody(pki.chainOf(leaf), leaf.keyPem());
    for (auto* client : {&user, &auditor}) {
        CHECK(client->call("GET", "/api/v1/admin/tls").status == 403);
        CHECK(client->call("PUT", "/api/v1/admin/tls", body).status == 403);
        CHECK(client->call("DELETE", "/api/v1/admin/tls").status == 403);
    }
    CHECK(ApiClient(server.port()).call("GET", "/api/v1/admin/tls").status == 401);
    const auto withoutToken = admin.call("PUT", "/api/v1/admin/tls", body, false);
    CHECK(withoutToken.status == 403);
    CHECK(errorCode(withoutToken) == "csrf_failed");
    CHECK(servedFingerprint(server.port()) != leaf.fingerprint());

    const auto denied = json(admin.call("GET", "/api/v1/audit?action=access.denied&per_page=50").body);
    CHECK(denied->getValue<int>("total") == 6);
    CHECK_THAT(admin.call("GET", "/api/v1/audit/export?action=access.denied").body,
               Contains("PUT /api/v1/admin/tls") && Contains("auditor"));
}

TEST_CASE("SIGHUP makes parleyd re-read its certificate files, and a broken file changes nothing")
{
    TempDir files;
    const auto first = makeTestCertificate({});
    writeFile(files / "server.crt", first.pem());
    writeFile(files / "server.key", first.keyPem());
    RunningServer server({"--set", "tls.certificate=" + (files / "server.crt").string(), "--set",
                          "tls.private_key=" + (files / "server.key").string()});
    REQUIRE(servedFingerprint(server.port()) == first.fingerprint());

    const auto servedAfterHangup = [&server](const std::string& expected) {
        server.process().signal(SIGHUP);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        std::string served;
        while (std::chrono::steady_clock::now() < deadline) {
            served = servedFingerprint(server.port());
            if (served == expected)
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return served;
    };
    const auto second = makeTestCertificate({.keyType = "ec-p384"});
    writeFile(files / "server.crt", second.pem());
    writeFile(files / "server.key", second.keyPem());
    CHECK(servedAfterHangup(second.fingerprint()) == second.fingerprint());
    // The change is audited, by the system.
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session session("SQLite", (server.dataDir() / "parley.db").string());
    std::vector<std::string> changes;
    // Written just after the certificate changed: wait for it a little.
    for (int attempt = 0; attempt < 50 && changes.empty(); ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        session << "SELECT actor || ' ' || details FROM audit_log WHERE action = 'config.change' AND target = 'tls'",
            Poco::Data::Keywords::into(changes), Poco::Data::Keywords::now;
    }
    REQUIRE(changes.size() == 1);
    CHECK_THAT(changes.front(), Contains("system ") && Contains(first.fingerprint()) && Contains(second.fingerprint()));

    writeFile(files / "server.crt", "-----BEGIN CERTIFICATE-----\ntruncated");
    CHECK(servedAfterHangup("never") == second.fingerprint());
    CHECK(server.process().running());
}

TEST_CASE("Handshakes during repeated uploads all succeed, each with one whole certificate")
{
    ServerWithAdmin server;
    auto admin = server.admin();
    TestPki pki;
    const auto ec = pki.leaf();
    const auto rsa = pki.leaf({.keyType = "rsa-2048"});
    const auto original = servedFingerprint(server.port());
    std::atomic<bool> done{false};
    std::atomic<int> handshakes{0};
    std::atomic<int> failures{0};
    std::atomic<int> strangers{0};
    std::thread clients([&] {
        while (!done) {
            try {
                const auto seen = servedFingerprint(server.port());
                if (seen != original && seen != ec.fingerprint() && seen != rsa.fingerprint())
                    ++strangers;
                ++handshakes;
            }
            catch (const std::exception&) {
                ++failures;
            }
        }
    });
    // At least 10 uploads, and on until the client has made 10 handshakes among them (a
    // loaded machine uploads faster than it handshakes).
    const TestCertificate* last = nullptr;
    for (int i = 0; i < 200 && (i < 10 || handshakes <= 10); ++i) {
        last = i % 2 == 0 ? &rsa : &ec;
        CHECK(admin.call("PUT", "/api/v1/admin/tls", tlsBody(pki.chainOf(*last), last->keyPem())).status == 200);
    }
    done = true;
    clients.join();
    CHECK(handshakes > 10);
    CHECK(failures == 0);
    CHECK(strangers == 0);
    CHECK(servedFingerprint(server.port()) == last->fingerprint());
}

TEST_CASE("A chain that ends below a CA of the system's trust store is complete without that CA")
{
    // The server's system store is OpenSSL's default paths, which SSL_CERT_FILE overrides:
    // here it holds only the test root, standing for a public CA.
    TestPki pki;
    TempDir store;
    writeFile(store / "ca.pem", pki.root.pem());
    ::setenv("SSL_CERT_FILE", (store / "ca.pem").c_str(), 1);
    ServerWithAdmin server;
    ::unsetenv("SSL_CERT_FILE");
    auto admin = server.admin();
    const auto leaf = pki.leaf();

    // The leaf alone lacks its intermediate, as a leaf from a public CA often does.
    const auto alone = admin.call("PUT", "/api/v1/admin/tls", tlsBody(leaf.pem(), leaf.keyPem()));
    CHECK(alone.status == 400);
    CHECK(errorCode(alone) == "chain_incomplete");
    const auto withIntermediate =
        admin.call("PUT", "/api/v1/admin/tls", tlsBody(leaf.pem() + pki.intermediate.pem(), leaf.keyPem()));
    CHECK(withIntermediate.status == 200);
    CHECK(servedFingerprint(server.port()) == leaf.fingerprint());
    // Served as sent: the leaf and its intermediate.
    TlsClient client(server.port());
    CHECK(client.peerChainLength() == 2);
}
