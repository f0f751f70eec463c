#include <parley/sip/sdes_crypto.h>

#include <catch2/catch.hpp>

#include <random>

using namespace parley::sip;
using parley::router::SrtpProfile;

TEST_CASE("An SDES line of each suite Parley speaks is read with its tag and 28 or 30 bytes of key", "[sdes]")
{
    std::string whyNot;
    // baresip 1.0.0's offer, and a GCM line as libre pads it.
    const auto cm = parseCryptoAttribute("1 AES_CM_128_HMAC_SHA1_80 inline:vFc3MXUZnyJHVszrCfw2csPTLbTrq3RaGtD6woUO", whyNot);
    REQUIRE(cm);
    CHECK(cm->tag == 1);
    CHECK(cm->suite == SrtpProfile::Aes128CmHmacSha1_80);
    CHECK(cm->key.bytes().size() == 30);
    const auto gcm = parseCryptoAttribute("7 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==", whyNot);
    REQUIRE(gcm);
    CHECK(gcm->tag == 7);
    CHECK(gcm->suite == SrtpProfile::AeadAes128Gcm);
    REQUIRE(gcm->key.bytes().size() == 28);
    CHECK(gcm->key.bytes()[27] == 27);
    // The same key without padding, and with a long lifetime.
    CHECK(parseCryptoAttribute("7 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw", whyNot));
    CHECK(parseCryptoAttribute("2 AES_CM_128_HMAC_SHA1_80 inline:vFc3MXUZnyJHVszrCfw2csPTLbTrq3RaGtD6woUO|2^31", whyNot));
}

TEST_CASE("A fresh key goes out and comes back as the same key, and two fresh keys differ", "[sdes]")
{
    for (const auto suite : {SrtpProfile::AeadAes128Gcm, SrtpProfile::Aes128CmHmacSha1_80}) {
        const auto key = freshCrypto(3, suite);
        const auto line = formatCryptoAttribute(key);
        std::string whyNot;
        const auto back = parseCryptoAttribute(line, whyNot);
        REQUIRE(back);
        CHECK(back->tag == 3);
        CHECK(back->suite == suite);
        CHECK(back->key == key.key);
        CHECK_FALSE(freshCrypto(3, suite).key == key.key);
    }
}

TEST_CASE("Hostile or weakening SDES lines are refused with a reason, never thrown at", "[sdes][hostile]")
{
    const std::string key30 = "vFc3MXUZnyJHVszrCfw2csPTLbTrq3RaGtD6woUO";
    const std::pair<std::string, std::string> refused[] = {
        {"", "no tag"},
        {"1", "no tag"},
        {"x AES_CM_128_HMAC_SHA1_80 inline:" + key30, "not a number"},
        {"1234567890 AES_CM_128_HMAC_SHA1_80 inline:" + key30, "no tag"},
        {"1 AES_CM_128_HMAC_SHA1_32 inline:" + key30, "not supported"},
        {"1 F8_128_HMAC_SHA1_80 inline:" + key30, "not supported"},
        {"1 AES_CM_128_HMAC_SHA1_80", "no key"},
        {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + " UNENCRYPTED_SRTP", "session parameters"},
        {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + " KDR=1", "session parameters"},
        {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + ";inline:" + key30, "more than one key"},
        {"1 AES_CM_128_HMAC_SHA1_80 uri:" + key30, "not inline"},
        {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|2^20|1:4", "MKI"},
        {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|1:4", "MKI"},
        {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|2^10", "lifetime"},
        {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|2^99", "lifetime"},
        {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|", "lifetime"},
        {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30.substr(0, 36), "bytes of base64"},
        {"1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "AAAA", "bytes of base64"},
        {"1 AES_CM_128_HMAC_SHA1_80 inline:vFc3MXUZnyJHVszrCfw2csPTLbTrq3RaGtD6wo!O", "bytes of base64"},
        {"1 AEAD_AES_128_GCM inline:" + key30, "bytes of base64"},
        {"1 AES_CM_128_HMAC_SHA1_80 inline:", "bytes of base64"},
        {"1 AES_CM_128_HMAC_SHA1_80 inline:=", "bytes of base64"},
    };
    for (const auto& [line, reason] : refused) {
        CAPTURE(line);
        std::string whyNot;
        CHECK_FALSE(parseCryptoAttribute(line, whyNot));
        CHECK_THAT(whyNot, Catch::Contains(reason));
    }
    // Random bytes and random cuts of a good line never crash or throw.
    std::mt19937 random(4568);
    const std::string good = "1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|2^31";
    for (int i = 0; i < 20000; ++i) {
        std::string line = good.substr(0, random() % (good.size() + 1));
        for (int j = random() % 4; j > 0 && !line.empty(); --j)
            line[random() % line.size()] = static_cast<char>(random() % 256);
        std::string whyNot;
        CHECK_NOTHROW(parseCryptoAttribute(line, whyNot));
    }
}
