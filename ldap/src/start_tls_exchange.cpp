#include "start_tls_exchange.h"

#include <ldap.h>

#include <memory>

namespace parley::ldap {
namespace {

struct BerFree
{
    void operator()(BerElement* ber) const { ber_free(ber, 1); }
};

// BER length forms LDAP allows (RFC 4511 section 5.1): definite, at most 4 length bytes.
constexpr unsigned char kLongLengthForm = 0x80;
constexpr std::size_t kMaxLengthBytes = 4;
constexpr unsigned char kSequence = 0x30; // every LDAPMessage is one

} // namespace

std::string startTlsRequest()
{
    // LDAPMessage { messageID 1, extendedReq [APPLICATION 23] { requestName [0] OID } }
    const std::string oid = LDAP_EXOP_START_TLS;
    std::string request = "\x80" + std::string(1, static_cast<char>(oid.size())) + oid;
    request = "\x77" + std::string(1, static_cast<char>(request.size())) + request;
    request = std::string("\x02\x01\x01", 3) + request;
    return "\x30" + std::string(1, static_cast<char>(request.size())) + request;
}

std::optional<std::size_t> ldapMessageSize(std::string_view data, std::size_t maxSize)
{
    if (!data.empty() && static_cast<unsigned char>(data[0]) != kSequence)
        return std::nullopt;
    if (data.size() < 2)
        return 0;
    const auto first = static_cast<unsigned char>(data[1]);
    std::size_t header = 2;
    std::size_t length = first;
    if (first & kLongLengthForm) {
        const std::size_t bytes = first & ~kLongLengthForm;
        if (bytes == 0 || bytes > kMaxLengthBytes)
            return std::nullopt;
        if (data.size() < 2 + bytes)
            return 0;
        length = 0;
        for (std::size_t i = 0; i < bytes; ++i)
            length = (length << 8) | static_cast<unsigned char>(data[2 + i]);
        header += bytes;
    }
    if (length > maxSize || header + length > maxSize)
        return std::nullopt;
    return header + length;
}

std::optional<int> extendedResultCode(std::string_view message)
{
    berval bytes{static_cast<ber_len_t>(message.size()), const_cast<char*>(message.data())};
    const std::unique_ptr<BerElement, BerFree> ber(ber_init(&bytes));
    if (!ber)
        return std::nullopt;
    ber_len_t length = 0;
    ber_int_t id = 0;
    if (ber_peek_tag(ber.get(), &length) != LBER_SEQUENCE || ber_scanf(ber.get(), "{i", &id) == LBER_ERROR ||
        id != 1)
        return std::nullopt;
    ber_int_t code = 0;
    if (ber_peek_tag(ber.get(), &length) != LDAP_RES_EXTENDED || ber_scanf(ber.get(), "{e", &code) == LBER_ERROR)
        return std::nullopt;
    return code;
}

} // namespace parley::ldap
