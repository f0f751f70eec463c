#include <parley/router/packet_kind.h>
#include <parley/router/stun_message.h>

#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <cstring>
#include <random>
#include <vector>

using namespace parley::router;

namespace {

using Bytes = std::vector<std::uint8_t>;

// RFC 5769 2.1: a Binding request with USERNAME "evtj:h6vY", password
// "VOkJxbRl1RmTxUk/WvJxBt", PRIORITY, ICE-CONTROLLED, MESSAGE-INTEGRITY and FINGERPRINT.
const Bytes kRfc5769Request{
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf};

// RFC 5769 2.2: the IPv4 response, XOR-MAPPED-ADDRESS 192.0.2.1:32853.
const Bytes kRfc5769Response{
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96};

const std::string kPassword = "VOkJxbRl1RmTxUk/WvJxBt";

sockaddr_storage ipv4(const char* address, std::uint16_t port)
{
    sockaddr_storage storage{};
    auto& v4 = reinterpret_cast<sockaddr_in&>(storage);
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    inet_pton(AF_INET, address, &v4.sin_addr);
    return storage;
}

} // namespace

TEST_CASE("STUN: the RFC 5769 request parses and authenticates with its password")
{
    StunMessage message;
    REQUIRE(parseStun(kRfc5769Request, message) == StunParseResult::Ok);
    CHECK(message.type == StunMessage::kBindingRequest);
    CHECK(message.username == "evtj:h6vY");
    CHECK(message.priority == 0x6e0001ff);
    CHECK(message.iceControlled);
    CHECK_FALSE(message.useCandidate);
    CHECK(stunIntegrityValid(kRfc5769Request, message, kPassword));
    CHECK_FALSE(stunIntegrityValid(kRfc5769Request, message, "wrong password"));
    CHECK(stunFingerprintValid(kRfc5769Request, message));
    CHECK(classify(kRfc5769Request) == PacketKind::Stun);

    // One flipped bit anywhere before the integrity attribute breaks it.
    auto tampered = kRfc5769Request;
    tampered[60] ^= 0x01;
    StunMessage again;
    REQUIRE(parseStun(tampered, again) == StunParseResult::Ok);
    CHECK_FALSE(stunIntegrityValid(tampered, again, kPassword));
    CHECK_FALSE(stunFingerprintValid(tampered, again));
}

TEST_CASE("STUN: the RFC 5769 response verifies, and ours match it bit for bit where they overlap")
{
    StunMessage message;
    REQUIRE(parseStun(kRfc5769Response, message) == StunParseResult::Ok);
    CHECK(message.type == StunMessage::kBindingSuccess);
    CHECK(stunIntegrityValid(kRfc5769Response, message, kPassword));
    CHECK(stunFingerprintValid(kRfc5769Response, message));

    std::array<std::uint8_t, 12> id{};
    std::memcpy(id.data(), &kRfc5769Response[8], 12);
    std::uint8_t out[128];
    const auto length = writeStunBindingSuccess(out, id, ipv4("192.0.2.1", 32853), kPassword);
    REQUIRE(length == 20 + 12 + 24 + 8);
    const Bytes ours(out, out + length);
    // Same XOR-MAPPED-ADDRESS bytes as the RFC's.
    CHECK(Bytes(ours.begin() + 20, ours.begin() + 32) ==
          Bytes(kRfc5769Response.begin() + 36, kRfc5769Response.begin() + 48));
    StunMessage parsed;
    REQUIRE(parseStun(ours, parsed) == StunParseResult::Ok);
    CHECK(stunIntegrityValid(ours, parsed, kPassword));
    CHECK(stunFingerprintValid(ours, parsed));
}

TEST_CASE("STUN: requests we write authenticate, and USE-CANDIDATE and errors round-trip")
{
    std::array<std::uint8_t, 12> id{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    std::uint8_t out[256];
    const auto length = writeStunBindingRequest(out, id, "server:client", "pass-word-1234567890ab", true);
    REQUIRE(length > 0);
    StunMessage message;
    REQUIRE(parseStun({out, length}, message) == StunParseResult::Ok);
    CHECK(message.useCandidate);
    CHECK(message.iceControlling);
    CHECK(message.username == "server:client");
    CHECK(stunIntegrityValid({out, length}, message, "pass-word-1234567890ab"));
    CHECK(stunFingerprintValid({out, length}, message));

    const auto error = writeStunBindingError(out, id, 401);
    StunMessage refused;
    REQUIRE(parseStun({out, error}, refused) == StunParseResult::Ok);
    CHECK(refused.type == StunMessage::kBindingError);
    CHECK(stunFingerprintValid({out, error}, refused));
    CHECK(writeStunBindingSuccess({out, 30}, id, ipv4("10.0.0.1", 1), "pw") == 0); // too small
}

TEST_CASE("STUN: hostile packets are refused without reading past them")
{
    StunMessage message;
    // Truncated at every length.
    for (std::size_t n = 0; n < kRfc5769Request.size(); ++n) {
        const Bytes cut(kRfc5769Request.begin(), kRfc5769Request.begin() + static_cast<std::ptrdiff_t>(n));
        CHECK(parseStun(cut, message) == StunParseResult::Malformed);
    }
    auto bad = kRfc5769Request;
    bad[4] = 0; // magic cookie
    CHECK(parseStun(bad, message) == StunParseResult::Malformed);
    bad = kRfc5769Request;
    bad[3] = 0x59; // length not a multiple of 4
    CHECK(parseStun(bad, message) == StunParseResult::Malformed);
    bad = kRfc5769Request;
    bad[22] = 0xff; // SOFTWARE attribute claims more than the packet holds
    CHECK(parseStun(bad, message) == StunParseResult::Malformed);
    bad = kRfc5769Request;
    bad[0] = 0xc0; // top bits set
    CHECK(parseStun(bad, message) == StunParseResult::Malformed);
    // An attribute after FINGERPRINT.
    bad = kRfc5769Request;
    bad[3] = 0x5c;
    bad.insert(bad.end(), {0x00, 0x25, 0x00, 0x00});
    CHECK(parseStun(bad, message) == StunParseResult::Malformed);
    // Integrity without its 20 bytes.
    bad = kRfc5769Request;
    bad[79] = 0x10;
    CHECK(parseStun(bad, message) == StunParseResult::Malformed);

    std::mt19937 random(5769);
    for (int i = 0; i < 20000; ++i) {
        auto fuzzed = kRfc5769Request;
        for (int flips = 0; flips < 4; ++flips)
            fuzzed[random() % fuzzed.size()] = static_cast<std::uint8_t>(random());
        if (parseStun(fuzzed, message) == StunParseResult::Ok) {
            stunIntegrityValid(fuzzed, message, kPassword);
            stunFingerprintValid(fuzzed, message);
        }
        Bytes noise(random() % 200);
        for (auto& byte : noise)
            byte = static_cast<std::uint8_t>(random());
        parseStun(noise, message);
        classify(noise);
    }
}

TEST_CASE("RFC 7983 demultiplexing by first byte, RTCP by payload type")
{
    CHECK(classify(Bytes(20, 0x00)) == PacketKind::Stun);
    CHECK(classify(Bytes(19, 0x00)) == PacketKind::Unknown);
    CHECK(classify(Bytes{22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}) == PacketKind::Dtls);
    CHECK(classify(Bytes{0x80, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}) == PacketKind::Rtp);
    CHECK(classify(Bytes{0x80, 0xe0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}) == PacketKind::Rtp); // marker + PT 96
    CHECK(classify(Bytes{0x81, 200, 0, 6, 0, 0, 0, 1}) == PacketKind::Rtcp);
    CHECK(classify(Bytes{0x80, 111, 0}) == PacketKind::Unknown);
    CHECK(classify(Bytes{64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}) == PacketKind::Unknown);
    CHECK(classify(Bytes{}) == PacketKind::Unknown);
}
