#include <parley/parleyd/config_error.h>
#include <parley/parleyd/ini_file.h>

#include <catch2/catch.hpp>

using parley::parleyd::ConfigError;
using parley::parleyd::parseIni;

TEST_CASE("INI files give section-qualified keys with their line numbers")
{
    const auto entries = parseIni("\xEF\xBB\xBF; Parley\r\n# comment\n\n[Server]\nPort = 9443\r\n"
                                  "  data_dir=/var/lib/parley  \n[log]\nlevel = debug ; not a comment\n",
                                  "parley.ini");
    REQUIRE(entries.size() == 3);
    CHECK(entries[0].key == "server.port");
    CHECK(entries[0].value == "9443");
    CHECK(entries[0].line == 5);
    CHECK(entries[1].key == "server.data_dir");
    CHECK(entries[1].value == "/var/lib/parley");
    CHECK(entries[2].key == "log.level");
    CHECK(entries[2].value == "debug ; not a comment"); // values are literal
}

TEST_CASE("Empty values and empty files are accepted")
{
    CHECK(parseIni("", "x.ini").empty());
    CHECK(parseIni("\n\n", "x.ini").empty());
    const auto entries = parseIni("[tls]\ncertificate =\n", "x.ini");
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].value.empty());
}

TEST_CASE("Malformed INI text is refused with file and line")
{
    using Catch::Contains;
    CHECK_THROWS_WITH(parseIni("[server]\nport 8443\n", "a.ini"),
                      Contains("a.ini:2") && Contains("expected 'key = value'"));
    CHECK_THROWS_WITH(parseIni("port = 1\n", "a.ini"),
                      Contains("a.ini:1") && Contains("must be inside a [section]"));
    CHECK_THROWS_WITH(parseIni("[server\nport = 1\n", "a.ini"),
                      Contains("a.ini:1") && Contains("[section]"));
    CHECK_THROWS_WITH(parseIni("[]\n", "a.ini"), Contains("a.ini:1"));
    CHECK_THROWS_WITH(parseIni("[server]\n= 5\n", "a.ini"), Contains("a.ini:2"));
    CHECK_THROWS_WITH(parseIni("[server]\nport = 1\nPORT = 2\n", "a.ini"),
                      Contains("a.ini:3") && Contains("'server.port' is set twice"));
    CHECK_THROWS_WITH(parseIni("[sec tion]\n", "a.ini"), Contains("a.ini:1"));
    const std::string withNul = std::string("[server]\nport = 84") + '\0' + "43\n";
    CHECK_THROWS_WITH(parseIni(withNul, "a.ini"),
                      Contains("a.ini:2") && Contains("control character"));
}

TEST_CASE("Hostile INI input never crashes the parser")
{
    // Binary noise, very long lines, lone brackets and separators: each either parses or
    // raises ConfigError; nothing else escapes.
    std::vector<std::string> inputs{
        std::string(100000, '['),
        std::string(100000, '='),
        "[" + std::string(5000, 'a') + "]\nk=" + std::string(100000, 'v'),
        "]\n[\n=\n;\n#\n",
        std::string("\xff\xfe\x00\x01", 4),
        "[s]\nk=\xc3\x28\n",
    };
    static constexpr char kAlphabet[] = "[]=;#\n\r ab.\t\x01\x7f\xff";
    std::uint32_t seed = 12345;
    for (int i = 0; i < 200; ++i) {
        std::string noise;
        for (int j = 0; j < 300; ++j) {
            seed = seed * 1664525u + 1013904223u;
            noise += kAlphabet[(seed >> 16) % (sizeof kAlphabet - 1)];
        }
        inputs.push_back(noise);
    }
    for (const auto& input : inputs) {
        try {
            parseIni(input, "noise.ini");
        }
        catch (const ConfigError&) {
        }
    }
    SUCCEED("every input parsed or was refused with ConfigError");
}
