// The strict chunked body reader (RFC 9112 7.1) against broken and hostile framing.
#include <parley/portal/http/chunked_body.h>
#include <parley/portal/http/http_error.h>

#include <catch2/catch.hpp>

#include <vector>

#include <sstream>

using parley::portal::HttpError;
using parley::portal::readChunkedBody;

namespace {

std::string read(const std::string& raw, std::size_t limit = 1024)
{
    std::istringstream in(raw);
    return readChunkedBody(in, limit);
}

/// The code of the HttpError reading `raw` throws, or "" if it does not.
std::string errorOf(const std::string& raw, std::size_t limit = 1024)
{
    try {
        read(raw, limit);
    }
    catch (const HttpError& e) {
        return e.code();
    }
    return "";
}

} // namespace

TEST_CASE("well-formed chunked bodies are read whole, extensions and trailers dropped")
{
    CHECK(read("0\r\n\r\n").empty());
    CHECK(read("2\r\n{}\r\n0\r\n\r\n") == "{}");
    CHECK(read("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n") == "hello world");
    CHECK(read("A\r\n0123456789\r\n0\r\n\r\n") == "0123456789");
    CHECK(read("a;name=value;other\r\n0123456789\r\n00\r\n\r\n") == "0123456789");
    CHECK(read("2 ;ext\r\n{}\r\n0\r\nX-Trailer: yes\r\nY: z\r\n\r\n") == "{}");
    CHECK(read("0002\r\n{}\r\n0\r\n\r\n") == "{}");
    // Bytes after the body are left in the stream (the caller closes the connection).
    std::istringstream in("2\r\n{}\r\n0\r\n\r\nGET / HTTP/1.1\r\n");
    CHECK(readChunkedBody(in, 100) == "{}");
    std::string rest;
    std::getline(in, rest);
    CHECK(rest == "GET / HTTP/1.1\r");
}

TEST_CASE("broken chunk framing is malformed_request")
{
    for (const std::string& raw : std::vector<std::string>{
             "", "zz\r\n{}\r\n0\r\n\r\n", "-2\r\n{}\r\n0\r\n\r\n", "\r\n", " 2\r\n{}\r\n0\r\n\r\n",
             "0x2\r\n{}\r\n0\r\n\r\n", "2 x\r\n{}\r\n0\r\n\r\n", "2\n{}\n0\n\n", "2\r{}\r\n0\r\n\r\n",
             "2\r\n{}\n0\r\n\r\n", "1\r\n{}\r\n0\r\n\r\n", "3\r\n{}\r\n0\r\n\r\n", "2\r\n{}",
             "2\r\n{}\r\n", "2\r\n{}\r\n0\r\n", "2\r\n{}\r\n0\r\nTrailer: x\r\n",
             "10000000000000000\r\n{}\r\n0\r\n\r\n", "ffffffffffffffffffff\r\n",
             "2;" + std::string(2000, 'x') + "\r\n{}\r\n0\r\n\r\n",
             "0\r\n" + std::string(2000, 'x') + "\r\n\r\n"}) {
        INFO(raw.substr(0, 40));
        CHECK(errorOf(raw) == "malformed_request");
    }
}

TEST_CASE("data past the limit, or framing past its budget, is body_too_large")
{
    CHECK(read("4\r\nabcd\r\n0\r\n\r\n", 4) == "abcd");
    CHECK(errorOf("5\r\nabcde\r\n0\r\n\r\n", 4) == "body_too_large");
    CHECK(errorOf("2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n", 4) == "body_too_large");
    // A size far past the limit is refused before anything is allocated or read.
    CHECK(errorOf("7fffffffffffffff\r\n", 1024) == "body_too_large");
    // Tiny chunks with long extensions: the data stays small, the framing does not.
    std::string raw;
    for (int i = 0; i < 200; ++i)
        raw += "1;" + std::string(500, 'e') + "\r\nx\r\n";
    CHECK(errorOf(raw + "0\r\n\r\n", 1024) == "body_too_large");
    // Endless trailers, too.
    std::string trailers = "0\r\n";
    for (int i = 0; i < 200; ++i)
        trailers += "X-T: " + std::string(500, 't') + "\r\n";
    CHECK(errorOf(trailers + "\r\n") == "body_too_large");
}
