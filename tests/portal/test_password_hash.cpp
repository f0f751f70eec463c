#include <parley/portal/accounts/password_hash.h>

#include "temp_dir.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/DigestEngine.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <sstream>

using parley::portal::checkPasswordPolicy;
using parley::portal::hashPassword;
using parley::portal::PasswordPolicy;
using parley::portal::verifyPassword;

namespace {

std::vector<std::string> split(const std::string& text, char separator)
{
    std::vector<std::string> parts;
    std::stringstream in(text);
    std::string part;
    while (std::getline(in, part, separator))
        parts.push_back(part);
    return parts;
}

std::string hexOfBase64(const std::string& text)
{
    std::istringstream in(text);
    Poco::Base64Decoder decoder(in, Poco::BASE64_NO_PADDING);
    const std::string bytes{std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>()};
    return Poco::DigestEngine::digestToHex(Poco::DigestEngine::Digest(bytes.begin(), bytes.end()));
}

} // namespace

TEST_CASE("Password hashes record algorithm, iterations, a 16-byte salt and a 32-byte PBKDF2 output")
{
    const auto encoded = hashPassword("correct horse battery staple", parley::portal::kDefaultPbkdf2Iterations);
    const auto parts = split(encoded, '$');
    REQUIRE(parts.size() == 5);
    CHECK(parts[1] == "pbkdf2-sha256");
    CHECK(parts[2] == "i=600000");
    CHECK(hexOfBase64(parts[3]).size() == 32);
    CHECK(hexOfBase64(parts[4]).size() == 64);
}

TEST_CASE("The stored hash is exactly PBKDF2-HMAC-SHA256 as OpenSSL's own tool computes it")
{
    const std::string password = "independent check";
    const auto parts = split(hashPassword(password, 1000), '$');
    parley::test::TempDir dir;
    const auto command = "openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt pass:'" + password +
                         "' -kdfopt hexsalt:" + hexOfBase64(parts[3]) +
                         " -kdfopt iter:1000 PBKDF2 > " + (dir / "out").string();
    REQUIRE(std::system(command.c_str()) == 0);
    auto expected = parley::test::readFile(dir / "out");
    std::string hex;
    for (const char c : expected)
        if (std::isxdigit(static_cast<unsigned char>(c)))
            hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(hex == hexOfBase64(parts[4]));
}

TEST_CASE("Verification accepts the password and nothing else")
{
    const auto encoded = hashPassword("s3cret-passphrase", 1000);
    CHECK(verifyPassword("s3cret-passphrase", encoded, 1000).matches);
    CHECK_FALSE(verifyPassword("s3cret-passphrasE", encoded, 1000).matches);
    CHECK_FALSE(verifyPassword("", encoded, 1000).matches);
    CHECK_FALSE(verifyPassword("s3cret-passphras", encoded, 1000).matches);
    // The same password hashes differently each time (fresh salt).
    CHECK(hashPassword("s3cret-passphrase", 1000) != encoded);
}

TEST_CASE("A hash made with fewer iterations than configured asks to be rehashed")
{
    const auto encoded = hashPassword("upgrade me please", 1000);
    CHECK(verifyPassword("upgrade me please", encoded, 2000).needsRehash);
    CHECK_FALSE(verifyPassword("upgrade me please", encoded, 1000).needsRehash);
    CHECK_FALSE(verifyPassword("wrong", encoded, 2000).needsRehash);
}

TEST_CASE("Malformed stored hashes never match and never crash")
{
    const auto good = hashPassword("pw", 1000);
    const auto parts = split(good, '$');
    const std::vector<std::string> hostile{
        "",
        "$",
        "$pbkdf2-sha256$",
        "$pbkdf2-sha256$i=$$",
        "$pbkdf2-sha256$i=0$" + parts[3] + "$" + parts[4],
        "$pbkdf2-sha256$i=-5$" + parts[3] + "$" + parts[4],
        "$pbkdf2-sha256$i=99999999999$" + parts[3] + "$" + parts[4],
        "$pbkdf2-sha256$i=1000$" + parts[3] + "$",
        "$pbkdf2-sha256$i=1000$$" + parts[4],
        "$pbkdf2-sha256$i=1000$!!!!$" + parts[4],
        "$pbkdf2-sha256$i=1000$" + parts[3] + "$" + parts[4] + "AAAA",
        "$pbkdf2-sha1$i=1000$" + parts[3] + "$" + parts[4],
        "$2b$12$abcdefghijklmnopqrstuuJ1T0bJ5v5M5oD8fU9h6G8aU2Ev0b1aC",
        std::string(10000, '$'),
    };
    for (const auto& encoded : hostile) {
        INFO(encoded.substr(0, 80));
        CHECK_FALSE(verifyPassword("pw", encoded, 1000).matches);
    }
}

TEST_CASE("The password policy counts characters, not bytes, and refuses invalid UTF-8")
{
    const PasswordPolicy policy{8, 1024};
    CHECK(checkPasswordPolicy("12345678", policy).empty());
    CHECK_THAT(checkPasswordPolicy("1234567", policy), Catch::Contains("at least 8 characters"));
    // Seven characters, fourteen bytes: still too short.
    CHECK_FALSE(checkPasswordPolicy("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", policy).empty());
    CHECK_THAT(checkPasswordPolicy("abcdefgh\xff", policy), Catch::Contains("UTF-8"));
    CHECK_THAT(checkPasswordPolicy("abcdefgh\xed\xa0\x80", policy), Catch::Contains("UTF-8"));
    CHECK_THAT(checkPasswordPolicy(std::string(1025, 'a'), policy), Catch::Contains("longer than"));
}
