// Bad input is answered with a 4xx (or the connection is closed) and never takes the
// server down: after every case the same process still answers /healthz.
#include "parleyd_process.h"
#include "tls_client.h"

#include <catch2/catch.hpp>

#include <thread>

using parley::test::parseHttpResponse;
using parley::test::RunningServer;
using parley::test::TlsClient;

namespace {

std::string exchange(std::uint16_t port, const std::string& raw)
{
    TlsClient client(port);
    client.write(raw);
    return client.readAll();
}

void requireStillServing(RunningServer& server)
{
    REQUIRE(server.process().running());
    REQUIRE(parley::test::httpsRequest(server.port(), "GET", "/healthz").status == 200);
}

} // namespace

TEST_CASE("A body declared larger than the limit is refused with 413 before it is read")
{
    RunningServer server({"--set", "server.max_body_bytes=4096"});
    const auto response = parseHttpResponse(
        exchange(server.port(), "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n"
                                "Content-Type: application/json\r\n\r\n{"));
    CHECK(response.status == 413);
    CHECK(response.body.find("\"body_too_large\"") != std::string::npos);
    requireStillServing(server);
}

TEST_CASE("A chunked body that grows past the limit is cut off with 413")
{
    RunningServer server({"--set", "server.max_body_bytes=4096"});
    TlsClient client(server.port());
    client.write("POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    const std::string chunk(1000, 'a');
    std::string body;
    for (int i = 0; i < 8; ++i)
        body += "3e8\r\n" + chunk + "\r\n";
    body += "0\r\n\r\n";
    try {
        client.write(body);
    }
    catch (const std::runtime_error&) {
        // the server may close before we finish writing
    }
    CHECK(parseHttpResponse(client.readAll()).status == 413);
    requireStillServing(server);
}

TEST_CASE("A small body within the limit is read and the request routed normally")
{
    RunningServer server({"--set", "server.max_body_bytes=4096"});
    const auto response =
        parley::test::httpsRequest(server.port(), "POST", "/healthz", std::string(4096, 'x'));
    CHECK(response.status == 405);
}

TEST_CASE("Malformed HTTP is answered with 400 and does not stop the server")
{
    RunningServer server;
    const std::vector<std::string> requests{
        "GARBAGE\r\n\r\n",
        "GET\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: " + std::string(20000, 'a') + "\r\n\r\n",
        "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
    };
    for (const auto& request : requests) {
        INFO(request.substr(0, 60));
        const auto response = parseHttpResponse(exchange(server.port(), request));
        CHECK(response.status == 400);
        CHECK(response.body.find("\"malformed_request\"") != std::string::npos);
    }
    std::string manyHeaders = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 500; ++i)
        manyHeaders += "X-H" + std::to_string(i) + ": v\r\n";
    const auto tooMany = parseHttpResponse(exchange(server.port(), manyHeaders + "\r\n"));
    CHECK(tooMany.status == 400);
    CHECK(tooMany.body.find("\"malformed_request\"") != std::string::npos);
    requireStillServing(server);
}

TEST_CASE("An HTTP version other than 1.0 or 1.1 gets a JSON 505 in HTTP/1.1")
{
    RunningServer server;
    const auto raw = exchange(server.port(), "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n");
    CHECK(raw.starts_with("HTTP/1.1 505"));
    CHECK(parseHttpResponse(raw).body.find("\"http_version_not_supported\"") != std::string::npos);
    requireStillServing(server);
}

TEST_CASE("An unparsable request target gets a JSON 400")
{
    RunningServer server;
    const auto response = parseHttpResponse(
        exchange(server.port(), "GET /%zz%%/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    CHECK(response.status == 400);
    CHECK(response.body.find("\"malformed_request\"") != std::string::npos);
    requireStillServing(server);
}

TEST_CASE("Random bytes, inside TLS and instead of TLS, never crash the server")
{
    RunningServer server;
    std::uint32_t seed = 987654321;
    auto noise = [&seed](std::size_t size) {
        std::string bytes(size, '\0');
        for (auto& byte : bytes) {
            seed = seed * 1664525u + 1013904223u;
            byte = static_cast<char>(seed >> 24);
        }
        return bytes;
    };
    for (int i = 0; i < 20; ++i) {
        {
            TlsClient client(server.port());
            client.write(noise(64 + 97 * static_cast<std::size_t>(i)));
            client.shutdownWrite();
            client.readAll();
        }
        {
            parley::test::TcpConnection raw(server.port());
            raw.write(noise(16 + 211 * static_cast<std::size_t>(i)));
            raw.shutdownWrite();
            raw.readAll();
        }
    }
    // A TLS record header announcing a huge record, then silence.
    {
        parley::test::TcpConnection raw(server.port(), std::chrono::seconds(3));
        raw.write(std::string("\x16\x03\x01\xff\xff", 5));
    }
    requireStillServing(server);
}

TEST_CASE("Clients that connect and send nothing are dropped after the request timeout")
{
    // Each connection holds a worker thread while it is read from; silent clients must
    // give their threads back when the read times out, so later clients are served. (While
    // the two places are taken, a newcomer is refused at once rather than queued.)
    RunningServer server({"--set", "server.max_threads=2", "--set", "server.request_timeout_seconds=1"});
    std::vector<parley::test::TcpConnection> silent;
    for (int i = 0; i < 4; ++i)
        silent.emplace_back(server.port());
    const auto started = std::chrono::steady_clock::now();
    bool served = false;
    while (!served && std::chrono::steady_clock::now() - started < std::chrono::seconds(8)) {
        try {
            served = parley::test::httpsRequest(server.port(), "GET", "/healthz").status == 200;
        }
        catch (const std::exception&) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
    CHECK(served);
    for (auto& connection : silent)
        CHECK(connection.readAll().empty()); // closed by the server, nothing sent
}
