#include <parley/volume/xts_sector_cipher.h>

#include <catch2/catch.hpp>
#include <openssl/evp.h>

#include <cstdint>
#include <iomanip>
#include <sstream>
#include <vector>

using parley::volume::SecretBytes;
using parley::volume::XtsSectorCipher;

namespace {

std::string sha256Hex(const std::vector<std::uint8_t>& data)
{
    unsigned char digest[32];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
    std::ostringstream hex;
    for (unsigned i = 0; i < length; ++i)
        hex << std::hex << std::setw(2) << std::setfill('0') << static_cast<int>(digest[i]);
    return hex.str();
}

SecretBytes testKey()
{
    SecretBytes key(64);
    for (std::size_t i = 0; i < key.size(); ++i)
        key.data()[i] = static_cast<std::uint8_t>(i);
    return key;
}

std::vector<std::uint8_t> testPlaintext()
{
    std::vector<std::uint8_t> data(8192);
    for (std::size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<std::uint8_t>(i * 7 + 3);
    return data;
}

} // namespace

// The expected digests were computed with Python's `cryptography` AES-XTS, one data unit per
// sector and the tweak set the way dm-crypt's plain64 sets it (byte offset / 512, 16 bytes
// little-endian): an implementation independent of this one.
TEST_CASE("aes-xts-plain64 tweaks count 512-byte sectors, as dm-crypt does", "[volume]")
{
    const SecretBytes key = testKey();
    SECTION("4096-byte sectors: sectors 3 and 4 use tweaks 24 and 32")
    {
        XtsSectorCipher cipher(key, 4096);
        auto data = testPlaintext();
        cipher.encrypt(data, 3 * 4096);
        CHECK(sha256Hex(data) == "c741365ede418edbfe3ed8be0c23f1cb8814f6e8d271c40d5069a99ac5399389");
        cipher.decrypt(data, 3 * 4096);
        CHECK(data == testPlaintext());
    }
    SECTION("512-byte sectors")
    {
        XtsSectorCipher cipher(key, 512);
        auto data = testPlaintext();
        cipher.encrypt(data, 3 * 4096);
        CHECK(sha256Hex(data) == "233610011cf606fcd97dc2ab34839fb5e109efa5cfa21e1d90be214170756aac");
    }
    SECTION("the same plaintext in two sectors encrypts differently")
    {
        XtsSectorCipher cipher(key, 512);
        std::vector<std::uint8_t> data(1024, 0x41);
        cipher.encrypt(data, 0);
        CHECK(!std::equal(data.begin(), data.begin() + 512, data.begin() + 512));
    }
}

TEST_CASE("aes-xts refuses partial sectors and wrong key sizes", "[volume]")
{
    const SecretBytes key = testKey();
    XtsSectorCipher cipher(key, 4096);
    std::vector<std::uint8_t> data(4096 + 512);
    CHECK_THROWS_AS(cipher.encrypt(data, 0), std::invalid_argument);
    std::vector<std::uint8_t> aligned(4096);
    CHECK_THROWS_AS(cipher.encrypt(aligned, 512), std::invalid_argument);
    CHECK_THROWS_AS(XtsSectorCipher(SecretBytes(48), 4096), std::invalid_argument);
    CHECK_THROWS_AS(XtsSectorCipher(key, 1000), std::invalid_argument);
}
