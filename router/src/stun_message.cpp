#include <parley/router/stun_message.h>

#include "big_endian.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

extern "C" {
#include <libavutil/crc.h>
}

#include <cstring>

namespace parley::router {
namespace {

constexpr std::uint32_t kMagicCookie = 0x2112A442;
constexpr std::uint32_t kFingerprintXor = 0x5354554e;
constexpr std::size_t kHeaderSize = 20;

enum Attribute : std::uint16_t
{
    kMappedAddress = 0x0001,
    kUsername = 0x0006,
    kMessageIntegrity = 0x0008,
    kErrorCode = 0x0009,
    kXorMappedAddress = 0x0020,
    kPriority = 0x0024,
    kUseCandidate = 0x0025,
    kFingerprint = 0x8028,
    kIceControlled = 0x8029,
    kIceControlling = 0x802A,
};





std::uint32_t crc32(const std::uint8_t* data, std::size_t length)
{
    // FFmpeg's table-driven CRC; AV_CRC_32_IEEE_LE is the reflected 0xEDB88320 polynomial of
    // RFC 5389 (and zlib), with the usual pre- and post-inversion done here.
    static const AVCRC* table = av_crc_get_table(AV_CRC_32_IEEE_LE);
    return av_crc(table, 0xFFFFFFFFu, data, length) ^ 0xFFFFFFFFu;
}

constexpr std::size_t kMaxStunBytes = 1500;

// HMAC-SHA1 over the first `length` bytes of `message`, with the header's length field
// replaced by `claimedLength` (RFC 5389 15.4: the length as if MESSAGE-INTEGRITY were the
// last attribute). False when the message is longer than any STUN packet we accept.
bool integrity(const std::uint8_t* message, std::size_t length, std::uint16_t claimedLength,
               std::string_view password, std::uint8_t out[20])
{
    if (length > kMaxStunBytes)
        return false;
    std::uint8_t copy[kMaxStunBytes];
    std::memcpy(copy, message, length);
    write16(copy + 2, claimedLength);
    unsigned int macLength = 0;
    return HMAC(EVP_sha1(), password.data(), static_cast<int>(password.size()), copy, length, out,
                &macLength) != nullptr &&
           macLength == 20;
}

std::size_t appendAttribute(std::uint8_t* out, std::size_t at, std::size_t capacity,
                            std::uint16_t type, const void* value, std::size_t length)
{
    const std::size_t padded = (length + 3) & ~std::size_t{3};
    if (at + 4 + padded > capacity)
        return 0;
    write16(out + at, type);
    write16(out + at + 2, static_cast<std::uint16_t>(length));
    if (length)
        std::memcpy(out + at + 4, value, length);
    std::memset(out + at + 4 + length, 0, padded - length);
    return at + 4 + padded;
}

void writeHeader(std::uint8_t* out, std::uint16_t type,
                 const std::array<std::uint8_t, 12>& transactionId)
{
    write16(out, type);
    write16(out + 2, 0);
    write32(out + 4, kMagicCookie);
    std::memcpy(out + 8, transactionId.data(), 12);
}

// Appends MESSAGE-INTEGRITY (when `password` is given) and FINGERPRINT; returns the length.
std::size_t finish(std::uint8_t* out, std::size_t at, std::size_t capacity, const std::string_view* password)
{
    if (password) {
        if (at + 24 > capacity)
            return 0;
        std::uint8_t mac[20];
        if (!integrity(out, at, static_cast<std::uint16_t>(at + 24 - kHeaderSize), *password, mac))
            return 0;
        at = appendAttribute(out, at, capacity, kMessageIntegrity, mac, 20);
    }
    if (at == 0 || at + 8 > capacity)
        return 0;
    write16(out + 2, static_cast<std::uint16_t>(at + 8 - kHeaderSize));
    std::uint8_t crc[4];
    write32(crc, crc32(out, at) ^ kFingerprintXor);
    at = appendAttribute(out, at, capacity, kFingerprint, crc, 4);
    return at;
}

} // namespace

StunParseResult parseStun(std::span<const std::uint8_t> packet, StunMessage& message)
{
    message = StunMessage{};
    if (packet.size() < kHeaderSize || packet.size() > kMaxStunBytes || (packet[0] & 0xC0) != 0)
        return StunParseResult::Malformed;
    const std::uint16_t length = read16(&packet[2]);
    if (read32(&packet[4]) != kMagicCookie || length % 4 != 0 ||
        kHeaderSize + length != packet.size())
        return StunParseResult::Malformed;
    message.type = read16(&packet[0]);
    std::memcpy(message.transactionId.data(), &packet[8], 12);

    std::size_t at = kHeaderSize;
    while (at < packet.size()) {
        if (at + 4 > packet.size())
            return StunParseResult::Malformed;
        const std::uint16_t type = read16(&packet[at]);
        const std::uint16_t valueLength = read16(&packet[at + 2]);
        const std::size_t padded = (std::size_t{valueLength} + 3) & ~std::size_t{3};
        if (at + 4 + padded > packet.size())
            return StunParseResult::Malformed;
        // Only FINGERPRINT may follow MESSAGE-INTEGRITY, and nothing may follow FINGERPRINT.
        if (message.fingerprintOffset || (message.integrityOffset && type != kFingerprint))
            return StunParseResult::Malformed;
        const std::uint8_t* value = &packet[at + 4];
        switch (type) {
        case kUsername:
            if (valueLength > 513)
                return StunParseResult::Malformed;
            message.username = std::string_view(reinterpret_cast<const char*>(value), valueLength);
            break;
        case kMessageIntegrity:
            if (valueLength != 20)
                return StunParseResult::Malformed;
            message.integrityOffset = at;
            break;
        case kFingerprint:
            if (valueLength != 4)
                return StunParseResult::Malformed;
            message.fingerprintOffset = at;
            break;
        case kPriority:
            if (valueLength != 4)
                return StunParseResult::Malformed;
            message.priority = read32(value);
            break;
        case kUseCandidate:
            message.useCandidate = true;
            break;
        case kIceControlling:
            message.iceControlling = true;
            break;
        case kIceControlled:
            message.iceControlled = true;
            break;
        default:
            break; // unknown attributes are ignored (we answer Binding only)
        }
        at += 4 + padded;
    }
    return StunParseResult::Ok;
}

bool stunIntegrityValid(std::span<const std::uint8_t> packet, const StunMessage& message,
                        std::string_view password)
{
    const auto offset = message.integrityOffset;
    if (offset == 0 || offset + 24 > packet.size())
        return false;
    std::uint8_t expected[20];
    if (!integrity(packet.data(), offset, static_cast<std::uint16_t>(offset + 24 - kHeaderSize),
                   password, expected))
        return false;
    return CRYPTO_memcmp(expected, &packet[offset + 4], 20) == 0;
}

bool stunFingerprintValid(std::span<const std::uint8_t> packet, const StunMessage& message)
{
    const auto offset = message.fingerprintOffset;
    if (offset == 0 || offset + 8 != packet.size())
        return false;
    return read32(&packet[offset + 4]) == (crc32(packet.data(), offset) ^ kFingerprintXor);
}

std::size_t writeStunBindingSuccess(std::span<std::uint8_t> out,
                                    const std::array<std::uint8_t, 12>& transactionId,
                                    const sockaddr_storage& mapped, std::string_view password)
{
    if (out.size() < kHeaderSize)
        return 0;
    auto* buffer = out.data();
    writeHeader(buffer, StunMessage::kBindingSuccess, transactionId);
    std::uint8_t value[20] = {};
    std::size_t valueLength = 0;
    if (mapped.ss_family == AF_INET) {
        const auto& v4 = reinterpret_cast<const sockaddr_in&>(mapped);
        value[1] = 0x01;
        write16(value + 2, static_cast<std::uint16_t>(ntohs(v4.sin_port) ^ (kMagicCookie >> 16)));
        write32(value + 4, ntohl(v4.sin_addr.s_addr) ^ kMagicCookie);
        valueLength = 8;
    }
    else if (mapped.ss_family == AF_INET6) {
        const auto& v6 = reinterpret_cast<const sockaddr_in6&>(mapped);
        value[1] = 0x02;
        write16(value + 2, static_cast<std::uint16_t>(ntohs(v6.sin6_port) ^ (kMagicCookie >> 16)));
        std::uint8_t key[16];
        write32(key, kMagicCookie);
        std::memcpy(key + 4, transactionId.data(), 12);
        for (int i = 0; i < 16; ++i)
            value[4 + i] = v6.sin6_addr.s6_addr[i] ^ key[i];
        valueLength = 20;
    }
    else {
        return 0;
    }
    const auto at = appendAttribute(buffer, kHeaderSize, out.size(), kXorMappedAddress, value, valueLength);
    if (at == 0)
        return 0;
    return finish(buffer, at, out.size(), &password);
}

std::size_t writeStunBindingError(std::span<std::uint8_t> out,
                                  const std::array<std::uint8_t, 12>& transactionId, int code)
{
    if (out.size() < kHeaderSize)
        return 0;
    auto* buffer = out.data();
    writeHeader(buffer, StunMessage::kBindingError, transactionId);
    const std::uint8_t value[4] = {0, 0, static_cast<std::uint8_t>(code / 100),
                                   static_cast<std::uint8_t>(code % 100)};
    const auto at = appendAttribute(buffer, kHeaderSize, out.size(), kErrorCode, value, 4);
    if (at == 0)
        return 0;
    return finish(buffer, at, out.size(), nullptr);
}

std::size_t writeStunBindingRequest(std::span<std::uint8_t> out,
                                    const std::array<std::uint8_t, 12>& transactionId,
                                    std::string_view username, std::string_view password,
                                    bool useCandidate)
{
    if (out.size() < kHeaderSize)
        return 0;
    auto* buffer = out.data();
    writeHeader(buffer, StunMessage::kBindingRequest, transactionId);
    std::size_t at = appendAttribute(buffer, kHeaderSize, out.size(), kUsername, username.data(),
                                     username.size());
    std::uint8_t priority[4];
    write32(priority, 0x6e7f00ff);
    if (at)
        at = appendAttribute(buffer, at, out.size(), kPriority, priority, 4);
    const std::uint8_t tieBreaker[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    if (at)
        at = appendAttribute(buffer, at, out.size(), kIceControlling, tieBreaker, 8);
    if (at && useCandidate)
        at = appendAttribute(buffer, at, out.size(), kUseCandidate, nullptr, 0);
    if (at == 0)
        return 0;
    return finish(buffer, at, out.size(), &password);
}

} // namespace parley::router
