// Requests whose framing (where the body ends, which host they are for) could be read in
// more than one way are refused with a 400 and the connection closed, at once: behind a
// proxy that reads them differently, the leftover bytes would be a smuggled request.
#include "account_fixture.h"
#include "tls_client.h"

#include <Poco/String.h>

#include <catch2/catch.hpp>

#include <chrono>

using namespace parley::test;
using namespace std::chrono_literals;

namespace {

/// What came back for one raw request on its own connection, and how long until the
/// server closed it.
struct Answer
{
    std::string raw;
    HttpResponse response;
    std::chrono::milliseconds took;
};

Answer exchange(std::uint16_t port, const std::string& request, bool halfClose = false)
{
    TlsClient client(port);
    const auto start = std::chrono::steady_clock::now();
    try {
        client.write(request);
    }
    catch (const std::runtime_error&) {
        // the server may close before we finish writing
    }
    if (halfClose)
        client.shutdownWrite();
    auto raw = client.readAll();
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    auto response = parseHttpResponse(raw);
    return {std::move(raw), std::move(response), took};
}

std::size_t responseCount(const std::string& raw)
{
    std::size_t count = 0;
    for (auto at = raw.find("HTTP/1."); at != std::string::npos; at = raw.find("HTTP/1.", at + 1))
        if (at == 0 || raw[at - 1] == '\n') // a status line, not a message in a body
            ++count;
    return count;
}

/// A 400 `malformed_request`, one response only (nothing smuggled was answered), and the
/// connection closed by the server well before any timeout (keep-alive and request timeouts
/// are set to a minute, the client gives up after 10 s).
void requireRefusedAndClosed(const Answer& answer)
{
    CHECK(answer.response.status == 400);
    CHECK(answer.response.body.find("\"malformed_request\"") != std::string::npos);
    CHECK(Poco::icompare(answer.response.header("connection"), "close") == 0);
    CHECK(responseCount(answer.raw) == 1);
    CHECK(answer.took < 3s);
}

void requireStillServing(ServerWithAdmin& server)
{
    REQUIRE(server.server().process().running());
    CHECK(httpsRequest(server.port(), "GET", "/healthz").status == 200);
    ApiClient client(server.port());
    CHECK(client.login("admin", kAdminPassword).status == 200);
}

const std::string kLogin =
    "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n";
// What a proxy that disagreed about the framing would have forwarded as a second request.
const std::string kSmuggled = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
const std::string kCredentials = R"({"username":"admin","password":"admin-password-1"})";

std::vector<std::string> slowTimeouts()
{
    return {"--set", "server.keep_alive_timeout_seconds=60", "--set", "server.request_timeout_seconds=60"};
}

} // namespace

TEST_CASE("Ambiguous Transfer-Encoding, Content-Length and Host are refused with 400 and the connection closed")
{
    ServerWithAdmin server(slowTimeouts());
    const std::vector<std::pair<std::string, std::string>> cases{
        {"a coding before chunked", kLogin + "Transfer-Encoding: gzip, chunked\r\n\r\n" + kSmuggled},
        {"a coding after chunked", kLogin + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"},
        {"identity", kLogin + "Transfer-Encoding: identity\r\nContent-Length: 2\r\n\r\n{}"},
        {"Transfer-Encoding twice", kLogin + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
        {"a space before the colon", kLogin + "Transfer-Encoding : chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"},
        {"chunked on HTTP/1.0",
         "POST /api/v1/auth/login HTTP/1.0\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
        {"both Content-Length and Transfer-Encoding",
         kLogin + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + kSmuggled},
        {"Content-Length not a number", kLogin + "Content-Length: abc\r\n\r\n{}"},
        {"Content-Length in hex", kLogin + "Content-Length: 0x2\r\n\r\n{}"},
        {"Content-Length overflowing 64 bits", kLogin + "Content-Length: 99999999999999999999999\r\n\r\n{}"},
        {"Content-Length past 63 bits", kLogin + "Content-Length: 9223372036854775808\r\n\r\n{}"},
        {"Content-Length negative", kLogin + "Content-Length: -1\r\n\r\n" + kSmuggled},
        {"Content-Length with a sign", kLogin + "Content-Length: +2\r\n\r\n{}"},
        {"Content-Length as a list", kLogin + "Content-Length: 2, 2\r\n\r\n{}"},
        {"Content-Length twice, different",
         kLogin + "Content-Length: 2\r\nContent-Length: " + std::to_string(2 + kSmuggled.size()) +
             "\r\n\r\n{}" + kSmuggled},
        {"HTTP/1.1 without Host", "GET /healthz HTTP/1.1\r\n\r\n"},
        {"HTTP/1.1 POST without Host",
         "POST /api/v1/auth/login HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"},
        {"Host twice", "GET /healthz HTTP/1.1\r\nHost: localhost\r\nHost: example.com\r\n\r\n"},
    };
    for (const auto& [name, request] : cases) {
        INFO(name);
        requireRefusedAndClosed(exchange(server.port(), request));
    }
    requireStillServing(server);
}

TEST_CASE("Broken chunked framing is answered 400 malformed_request and the connection closed")
{
    ServerWithAdmin server(slowTimeouts());
    const auto chunked = kLogin + "Transfer-Encoding: chunked\r\n\r\n";
    const std::vector<std::pair<std::string, std::string>> cases{
        {"a size that is not hexadecimal", chunked + "zz\r\n{}\r\n0\r\n\r\n"},
        {"data longer than its size", chunked + "1\r\n{}\r\n0\r\n\r\n" + kSmuggled},
        {"lines ending in a bare LF", chunked + "2\n{}\n0\n\n"},
        {"characters after the size", chunked + "2 x\r\n{}\r\n0\r\n\r\n"},
        {"a size overflowing 64 bits", chunked + "10000000000000000\r\n{}\r\n0\r\n\r\n"},
        {"a negative size", chunked + "-2\r\n{}\r\n0\r\n\r\n"},
        {"no empty line after the last chunk", chunked + "2\r\n{}\r\n0\r\nX-Trailer: 1\r\n" + kSmuggled.substr(0, 3)},
    };
    for (const auto& [name, request] : cases) {
        INFO(name);
        requireRefusedAndClosed(exchange(server.port(), request, true));
    }
    {
        INFO("the client stops inside a chunk");
        requireRefusedAndClosed(exchange(server.port(), chunked + "10\r\n{}", true));
    }
    {
        INFO("the client stops before the last chunk");
        requireRefusedAndClosed(exchange(server.port(), chunked + "2\r\n{}\r\n", true));
    }
    requireStillServing(server);
}

TEST_CASE("Unambiguous framing in its legal forms is still served")
{
    ServerWithAdmin server;
    const auto status = [&server](const std::string& request) {
        return exchange(server.port(), request).response.status;
    };
    // Chunked in any case, with extensions and a trailer, in pieces.
    const auto half = kCredentials.size() / 2;
    const auto hex = [](std::size_t n) {
        std::ostringstream text;
        text << std::hex << n;
        return text.str();
    };
    CHECK(status(kLogin + "Transfer-Encoding: Chunked\r\nConnection: close\r\n\r\n" + hex(half) +
                 ";piece=1\r\n" + kCredentials.substr(0, half) + "\r\n" + hex(kCredentials.size() - half) +
                 "\r\n" + kCredentials.substr(half) + "\r\n0\r\nX-Checksum: none\r\n\r\n") == 200);
    // The same Content-Length twice says one thing.
    const auto length = std::to_string(kCredentials.size());
    CHECK(status(kLogin + "Content-Length: " + length + "\r\nContent-Length: " + length +
                 "\r\nConnection: close\r\n\r\n" + kCredentials) == 200);
    // HTTP/1.0 has no Host requirement.
    CHECK(status("GET /healthz HTTP/1.0\r\n\r\n") == 200);
    // A keep-alive connection with well-framed requests carries several.
    TlsClient client(server.port());
    client.write(kLogin + "Content-Length: " + length + "\r\n\r\n" + kCredentials);
    CHECK(parseHttpResponse(client.readResponse()).status == 200);
    client.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    CHECK(parseHttpResponse(client.readResponse()).status == 200);
}
