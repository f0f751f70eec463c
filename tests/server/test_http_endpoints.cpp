#include "parleyd_process.h"
#include "tls_client.h"

#include <parley/storage/database.h>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

using parley::test::httpsRequest;
using parley::test::RunningServer;

namespace {

Poco::JSON::Object::Ptr json(const std::string& text)
{
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

void checkErrorShape(const parley::test::HttpResponse& response, const std::string& code)
{
    CHECK(response.header("content-type") == "application/json; charset=utf-8");
    const auto error = json(response.body)->getObject("error");
    REQUIRE(error);
    CHECK(error->getValue<std::string>("code") == code);
    CHECK_FALSE(error->getValue<std::string>("message").empty());
}

} // namespace

TEST_CASE("/healthz answers 200 with a JSON status, also to HEAD")
{
    RunningServer server;
    const auto response = httpsRequest(server.port(), "GET", "/healthz");
    CHECK(response.status == 200);
    CHECK(json(response.body)->getValue<std::string>("status") == "ok");

    const auto head = httpsRequest(server.port(), "HEAD", "/healthz");
    CHECK(head.status == 200);
    CHECK(head.body.empty());
}

TEST_CASE("/readyz reports the database ready at the current schema version")
{
    RunningServer server;
    const auto response = httpsRequest(server.port(), "GET", "/readyz?probe=1");
    REQUIRE(response.status == 200);
    const auto body = json(response.body);
    CHECK(body->getValue<std::string>("status") == "ready");
    CHECK(body->getObject("checks")->getObject("database")->getValue<int>("schemaVersion") >= 1);
}

TEST_CASE("/readyz answers 503 when the schema is not what this build expects")
{
    RunningServer server;
    Poco::Data::SQLite::Connector::registerConnector();
    {
        Poco::Data::Session session("SQLite", (server.dataDir() / "parley.db").string());
        session << "DELETE FROM schema_migrations", Poco::Data::Keywords::now;
    }
    const auto response = httpsRequest(server.port(), "GET", "/readyz");
    CHECK(response.status == 503);
    checkErrorShape(response, "not_ready");
    // The unauthenticated probe says nothing about files or SQL.
    CHECK(response.body.find(".db") == std::string::npos);
    CHECK(httpsRequest(server.port(), "GET", "/healthz").status == 200);
}

TEST_CASE("Unknown paths get a JSON 404 and wrong methods a JSON 405 with Allow")
{
    RunningServer server;
    const auto missing = httpsRequest(server.port(), "GET", "/api/v1/nothing-here");
    CHECK(missing.status == 404);
    checkErrorShape(missing, "not_found");

    const auto wrongMethod = httpsRequest(server.port(), "DELETE", "/healthz");
    CHECK(wrongMethod.status == 405);
    CHECK(wrongMethod.header("allow") == "GET, HEAD");
    checkErrorShape(wrongMethod, "method_not_allowed");
}

TEST_CASE("A POST without a body is answered at once")
{
    RunningServer server;
    // Neither Content-Length nor chunked: the body is empty (RFC 9112), not "until close".
    parley::test::TlsClient client(server.port());
    const auto started = std::chrono::steady_clock::now();
    client.write("POST /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    const auto response = parley::test::parseHttpResponse(client.readResponse());
    CHECK(response.status == 405);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
}

TEST_CASE("Keep-alive connections serve several requests")
{
    RunningServer server;
    parley::test::TlsClient client(server.port());
    for (int i = 0; i < 5; ++i) {
        client.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
        CHECK(parley::test::parseHttpResponse(client.readResponse()).status == 200);
    }
}
