// Which request headers leave the framing ambiguous (request_framing.h).
#include <parley/portal/http/request_framing.h>

#include <Poco/Net/HTTPRequest.h>

#include <catch2/catch.hpp>

#include <sstream>

using parley::portal::framingProblem;

namespace {

/// The request Poco reads from `head` (request line and headers, without the final CRLF).
Poco::Net::HTTPRequest parsed(const std::string& head)
{
    std::istringstream in(head + "\r\n");
    Poco::Net::HTTPRequest request;
    request.read(in);
    return request;
}

bool refused(const std::string& head)
{
    return framingProblem(parsed(head)).has_value();
}

} // namespace

TEST_CASE("requests with one clear framing pass")
{
    CHECK_FALSE(refused("GET / HTTP/1.1\r\nHost: x\r\n"));
    CHECK_FALSE(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"));
    CHECK_FALSE(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12345\r\n"));
    CHECK_FALSE(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\ncontent-length: 5\r\n"));
    CHECK_FALSE(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"));
    CHECK_FALSE(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: CHUNKED\r\n"));
    CHECK_FALSE(refused("GET / HTTP/1.0\r\n"));
    CHECK_FALSE(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9223372036854775807\r\n"));
    CHECK_FALSE(refused("GET / HTTP/1.1\r\nHost: \r\n")); // empty Host: allowed for an origin-form target
}

TEST_CASE("ambiguous Transfer-Encoding is refused")
{
    CHECK(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n"));
    CHECK(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n"));
    CHECK(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n"));
    CHECK(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n"));
    CHECK(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \r\n"));
    CHECK(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\ntransfer-encoding: chunked\r\n"));
    CHECK(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n"));
    CHECK(refused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n"));
    // Folded onto a second line, Poco joins the value: no longer exactly "chunked".
    CHECK(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n gzip\r\n"));
}

TEST_CASE("header names that are not tokens are refused")
{
    CHECK(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n"));
    CHECK(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length\t: 5\r\n"));
    CHECK(refused("GET / HTTP/1.1\r\nHost: x\r\nX(y): 1\r\n"));
}

TEST_CASE("Content-Length that is not one plain number is refused")
{
    for (const std::string value : {"-1", "+5", "5.0", "1e3", "0x10", " ", "five",
                                    "9223372036854775808", "99999999999999999999999999"}) {
        INFO(value);
        CHECK(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + value + "\r\n"));
    }
    CHECK(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n"));
    CHECK(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 05\r\n"));
}

TEST_CASE("HTTP/1.1 needs exactly one Host")
{
    CHECK(refused("GET / HTTP/1.1\r\n"));
    CHECK(refused("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n"));
    CHECK(refused("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n"));
}
