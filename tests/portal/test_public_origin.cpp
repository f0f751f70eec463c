// Where absolute links point (public_origin.h): only a plain host and port get into them.
#include <parley/portal/http/public_origin.h>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace parley::portal;

TEST_CASE("A Host header is accepted only as host[:port]")
{
    CHECK(plainHost("meet.example.org") == "meet.example.org");
    CHECK(plainHost("Meet.Example.ORG:8443") == "meet.example.org:8443");
    CHECK(plainHost("192.0.2.10:443") == "192.0.2.10:443");
    CHECK(plainHost("localhost") == "localhost");
    CHECK(plainHost("[2001:DB8::1]:8443") == "[2001:db8::1]:8443");
    CHECK(plainHost("[::1]") == "[::1]");
    CHECK(plainHost("host:08443") == "host:8443");
    for (const std::string& bad : std::vector<std::string>{"", "evil.example.org/path", "user@meet.example.org", "user:pw@host", "host:", "host:0", "host:65536",
          "host:123456", "host:-1", "host:+443", "host:80:80", "host name", "host\r\nX-Injected: 1", "host\t",
          "-host.example.org", "host-.example.org", "a..b", ".example.org", "example.org.", "[::1", "::1",
          "[fe80::1%25eth0]", "[192.0.2.1]", "[::1]x", "[::1]:", "h\xC3\xB6st.example.org", "host?x", "host#x",
          "host\\evil", std::string(254, 'a'), std::string(64, 'a') + ".example.org",
          // Found by fuzzing (tests/fuzz/http_request.cpp): Poco's address parser stops at a NUL.
          std::string("[::2\0]:44", 9), std::string("[::1\0evil]", 10), "[::1 ]", "[::g]"}) {
        INFO(bad);
        CHECK_FALSE(plainHost(bad));
    }
}

TEST_CASE("A configured public URL becomes an origin without a default port or trailing slash")
{
    CHECK(publicUrlOrigin("https://meet.example.org") == "https://meet.example.org");
    CHECK(publicUrlOrigin("https://meet.example.org/") == "https://meet.example.org");
    CHECK(publicUrlOrigin("HTTPS://Meet.Example.org:443/") == "https://meet.example.org");
    CHECK(publicUrlOrigin("https://meet.example.org:8443") == "https://meet.example.org:8443");
    CHECK(publicUrlOrigin("https://[2001:db8::1]") == "https://[2001:db8::1]");
    for (const std::string bad : {"", "https://", "https:///", "http://meet.example.org", "ftp://x",
                                  "//meet.example.org", "meet.example.org", "https://meet.example.org//",
                                  "https://meet.example.org/join", "https://a@meet.example.org",
                                  "https://meet.example.org?q", "https://meet.example.org:99999"}) {
        INFO(bad);
        CHECK_FALSE(publicUrlOrigin(bad));
    }
}

TEST_CASE("The host of an origin drops scheme and port")
{
    CHECK(originHost("https://meet.example.org") == "meet.example.org");
    CHECK(originHost("https://meet.example.org:8443") == "meet.example.org");
    CHECK(originHost("https://[2001:db8::1]:8443") == "[2001:db8::1]");
}
