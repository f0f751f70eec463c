// STUN (RFC 5389) as the router's ICE-lite agent reads it from any address: parsing,
// MESSAGE-INTEGRITY and FINGERPRINT checks. Checked besides not crashing: the message's
// views stay inside the packet, and the answer the router writes for its transaction parses
// back with the same transaction id and valid integrity and fingerprint.
#include "fuzz_input.h"

#include <parley/router/stun_message.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cstring>

using namespace parley::router;
using parley::fuzz::require;
using parley::fuzz::within;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::span<const std::uint8_t> packet(data, size);
    StunMessage message;
    if (parseStun(packet, message) != StunParseResult::Ok)
        return 0;
    require(within(std::span<const char>(message.username.data(), message.username.size()), packet),
            "USERNAME lies outside the packet");
    require(message.integrityOffset == 0 || message.integrityOffset + 24 <= size,
            "MESSAGE-INTEGRITY runs past the packet");
    require(message.fingerprintOffset == 0 || message.fingerprintOffset + 8 <= size,
            "FINGERPRINT runs past the packet");
    stunIntegrityValid(packet, message, "the-ice-password-of-the-router");
    stunFingerprintValid(packet, message);

    sockaddr_storage mapped{};
    auto* v4 = reinterpret_cast<sockaddr_in*>(&mapped);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(50000);
    v4->sin_addr.s_addr = htonl(0x7f000001);
    std::array<std::uint8_t, 128> out{};
    const auto length = writeStunBindingSuccess(out, message.transactionId, mapped, "the-ice-password-of-the-router");
    require(length > 0, "no success response written");
    StunMessage answer;
    const std::span<const std::uint8_t> written(out.data(), length);
    require(parseStun(written, answer) == StunParseResult::Ok, "our success response does not parse");
    require(answer.transactionId == message.transactionId, "our response names another transaction");
    require(stunIntegrityValid(written, answer, "the-ice-password-of-the-router"), "our integrity does not check");
    require(stunFingerprintValid(written, answer), "our fingerprint does not check");
    const auto error = writeStunBindingError(out, message.transactionId, 401);
    require(error > 0 && parseStun(std::span<const std::uint8_t>(out.data(), error), answer) == StunParseResult::Ok,
            "our error response does not parse");
    return 0;
}
