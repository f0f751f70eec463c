#include <parley/sip/digest_authenticator.h>

#include <catch2/catch.hpp>

#include <openssl/evp.h>

#include <random>

using namespace parley::sip;

namespace {

std::string md5(const std::string& text)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(text.data(), text.size(), digest, &length, EVP_md5(), nullptr);
    std::string out;
    char pair[3];
    for (unsigned i = 0; i < length; ++i) {
        std::snprintf(pair, sizeof pair, "%02x", digest[i]);
        out += pair;
    }
    return out;
}

/// The nonce out of a WWW-Authenticate value.
std::string nonceOf(const std::string& challenge)
{
    const auto start = challenge.find("nonce=\"") + 7;
    return challenge.substr(start, challenge.find('"', start) - start);
}

/// What a phone answers to a challenge (RFC 2617 §3.2.2 with qop=auth).
DigestCredentials answer(const std::string& nonce, const std::string& password, const std::string& nc = "00000001",
                         const std::string& uri = "sip:123456@127.0.0.1")
{
    DigestCredentials c;
    c.username = "room-42";
    c.realm = "parley";
    c.nonce = nonce;
    c.uri = uri;
    c.algorithm = "MD5";
    c.qop = "auth";
    c.nc = nc;
    c.cnonce = "0a4f113b";
    c.response = md5(md5("room-42:parley:" + password) + ":" + nonce + ":" + nc + ":0a4f113b:auth:" +
                     md5("INVITE:" + uri));
    return c;
}

} // namespace

TEST_CASE("HA1 is RFC 2617's MD5 of user, realm and password", "[digest]")
{
    // RFC 2617 §3.5's example: Mufasa, testrealm@host.com, Circle Of Life.
    CHECK(digestHa1("Mufasa", "testrealm@host.com", "Circle Of Life") == "939e7578ed9e3c518a452acee763bce9");
}

TEST_CASE("A phone's right answer is accepted once, and a wrong password, a replay and a forged nonce are refused",
          "[digest]")
{
    DigestAuthenticator digest("parley");
    const auto now = std::chrono::system_clock::now();
    const auto challenge = digest.challenge(now);
    CHECK_THAT(challenge, Catch::Contains("algorithm=MD5") && Catch::Contains("qop=\"auth\"") &&
                              Catch::Contains("realm=\"parley\""));
    CHECK_THAT(challenge, !Catch::Contains("SHA-256"));
    const auto ha1 = digestHa1("room-42", "parley", "s3cret-Pass");
    const auto nonce = nonceOf(challenge);
    std::string whyNot;
    CHECK(digest.verify(answer(nonce, "s3cret-Pass"), "INVITE", ha1, now, whyNot) ==
          DigestAuthenticator::Verdict::Accepted);
    CHECK(digest.verify(answer(nonce, "s3cret-Pass"), "INVITE", ha1, now, whyNot) ==
          DigestAuthenticator::Verdict::Refused);
    CHECK(whyNot == "a replayed response");
    CHECK(digest.verify(answer(nonce, "s3cret-Pass", "00000002"), "INVITE", ha1, now, whyNot) ==
          DigestAuthenticator::Verdict::Accepted);
    CHECK(digest.verify(answer(nonce, "wrong", "00000003"), "INVITE", ha1, now, whyNot) ==
          DigestAuthenticator::Verdict::Refused);
    CHECK(whyNot == "wrong password");
    // A nonce with a changed time, or made up, was not issued by this server.
    auto forged = nonce;
    forged[0] = forged[0] == '1' ? '2' : '1';
    CHECK(digest.verify(answer(forged, "s3cret-Pass"), "INVITE", ha1, now, whyNot) ==
          DigestAuthenticator::Verdict::Refused);
    CHECK(whyNot == "a nonce Parley did not issue");
    DigestAuthenticator other("parley");
    CHECK(other.verify(answer(nonce, "s3cret-Pass", "00000009"), "INVITE", ha1, now, whyNot) ==
          DigestAuthenticator::Verdict::Refused);
    // Another method than the one answered for.
    CHECK(digest.verify(answer(nonce, "s3cret-Pass", "00000004"), "BYE", ha1, now, whyNot) ==
          DigestAuthenticator::Verdict::Refused);
    // Another realm, another algorithm, no qop.
    auto c = answer(nonce, "s3cret-Pass", "00000005");
    c.realm = "elsewhere";
    CHECK(digest.verify(c, "INVITE", ha1, now, whyNot) == DigestAuthenticator::Verdict::Refused);
    c = answer(nonce, "s3cret-Pass", "00000006");
    c.algorithm = "SHA-256";
    CHECK(digest.verify(c, "INVITE", ha1, now, whyNot) == DigestAuthenticator::Verdict::Refused);
    c = answer(nonce, "s3cret-Pass", "00000007");
    c.qop.clear();
    CHECK(digest.verify(c, "INVITE", ha1, now, whyNot) == DigestAuthenticator::Verdict::Refused);
}

TEST_CASE("An expired nonce with the right password is stale, so the phone retries without asking", "[digest]")
{
    DigestAuthenticator digest("parley", std::chrono::seconds(60));
    const auto then = std::chrono::system_clock::now();
    const auto nonce = nonceOf(digest.challenge(then));
    const auto ha1 = digestHa1("room-42", "parley", "pw");
    std::string whyNot;
    CHECK(digest.verify(answer(nonce, "pw"), "INVITE", ha1, then + std::chrono::seconds(61), whyNot) ==
          DigestAuthenticator::Verdict::Stale);
    CHECK(digest.verify(answer(nonce, "wrong", "00000002"), "INVITE", ha1, then + std::chrono::seconds(61), whyNot) ==
          DigestAuthenticator::Verdict::Refused);
    CHECK_THAT(digest.challenge(then, true), Catch::Contains("stale=true"));
}

TEST_CASE("Hostile Authorization parameters are refused with a reason, never thrown at", "[digest][hostile]")
{
    std::string whyNot;
    const std::vector<std::string_view> good = {"username=\"room-42\"", "realm=\"parley\"", "nonce=\"1.ab\"",
                                                "uri=\"sip:1@h\"", "response=\"0123\"", "qop=auth",
                                                "nc=00000001", "cnonce=\"x\""};
    const auto read = readDigestCredentials(good, whyNot);
    REQUIRE(read);
    CHECK(read->username == "room-42");
    CHECK(read->qop == "auth");
    for (std::size_t drop = 0; drop < 5; ++drop) {
        auto missing = good;
        missing.erase(missing.begin() + static_cast<long>(drop));
        CHECK_FALSE(readDigestCredentials(missing, whyNot));
        CHECK_THAT(whyNot, Catch::StartsWith("no "));
    }
    auto repeated = good;
    repeated.push_back("username=\"admin\"");
    CHECK_FALSE(readDigestCredentials(repeated, whyNot));
    CHECK_THAT(whyNot, Catch::Contains("repeated"));
    auto noNc = good;
    noNc.erase(noNc.begin() + 6);
    CHECK_FALSE(readDigestCredentials(noNc, whyNot));
    const std::string huge = "username=\"" + std::string(600, 'a') + "\"";
    CHECK_FALSE(readDigestCredentials({huge}, whyNot));
    std::vector<std::string_view> many(40, "x=1");
    CHECK_FALSE(readDigestCredentials(many, whyNot));
    CHECK_FALSE(readDigestCredentials({"=1"}, whyNot));
    CHECK_FALSE(readDigestCredentials({"novalue"}, whyNot));
    // Quoted values with escapes, and random bytes.
    CHECK(readDigestCredentials({"username=\"a\\\"b\"", "realm=r", "nonce=n", "uri=u", "response=r"}, whyNot)->username ==
          "a\"b");
    std::mt19937 random(2617);
    DigestAuthenticator digest("parley");
    for (int i = 0; i < 5000; ++i) {
        std::vector<std::string> texts;
        for (int j = random() % 8; j >= 0; --j) {
            std::string param(random() % 40, '\0');
            for (auto& ch : param)
                ch = static_cast<char>(random() % 3 == 0 ? '=' : random() % 256);
            texts.push_back(param);
        }
        std::vector<std::string_view> views(texts.begin(), texts.end());
        std::optional<DigestCredentials> c;
        CHECK_NOTHROW(c = readDigestCredentials(views, whyNot));
        if (c)
            CHECK_NOTHROW(digest.verify(*c, "INVITE", "00", std::chrono::system_clock::now(), whyNot));
    }
}
