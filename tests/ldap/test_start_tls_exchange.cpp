// The StartTLS exchange the connection test does itself, with hostile answers.
#include "start_tls_exchange.h"

#include <ldap.h>

#include <catch2/catch.hpp>

using namespace parley::ldap;

namespace {

std::string bytes(std::initializer_list<unsigned char> list)
{
    return std::string(list.begin(), list.end());
}

} // namespace

TEST_CASE("The StartTLS request is the one libldap sends")
{
    const auto request = startTlsRequest();
    CHECK(request == bytes({0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16}) + LDAP_EXOP_START_TLS);
    CHECK(ldapMessageSize(request, 1024) == request.size());
}

TEST_CASE("LDAP message sizes: short, long form, too short to tell, and hostile")
{
    CHECK(ldapMessageSize("", 100) == 0u);
    CHECK(ldapMessageSize(bytes({0x30}), 100) == 0u);
    CHECK(ldapMessageSize(bytes({0x30, 0x03}), 100) == 5u);
    CHECK(ldapMessageSize(bytes({0x30, 0x82, 0x01}), 1000) == 0u);
    CHECK(ldapMessageSize(bytes({0x30, 0x82, 0x01, 0x00}), 1000) == 260u);
    CHECK_FALSE(ldapMessageSize(bytes({0x30, 0x82, 0x01, 0x00}), 100));        // over the limit
    CHECK_FALSE(ldapMessageSize(bytes({0x30, 0x84, 0xff, 0xff, 0xff, 0xff}), 100000));
    CHECK_FALSE(ldapMessageSize(bytes({0x30, 0x80}), 100));                    // indefinite
    CHECK_FALSE(ldapMessageSize(bytes({0x30, 0x85, 1, 1, 1, 1, 1}), 100));     // 5 length bytes
    CHECK_FALSE(ldapMessageSize("HTTP/1.1 400 Bad Request\r\n", 100));         // not a SEQUENCE
    CHECK_FALSE(ldapMessageSize(bytes({0x16, 0x03, 0x01, 0x00}), 100));        // a TLS record
}

TEST_CASE("The StartTLS result code is read from a real answer, and nothing from a malformed one")
{
    CHECK(extendedResultCode(bytes({0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04,
                                    0x00})) == 0);
    CHECK(extendedResultCode(bytes({0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, 0x34, 0x04, 0x00, 0x04,
                                    0x00})) == LDAP_UNAVAILABLE);
    // Another message ID, another operation (a bind response), truncated, lying lengths, junk.
    CHECK_FALSE(extendedResultCode(bytes({0x30, 0x0c, 0x02, 0x01, 0x02, 0x78, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00,
                                          0x04, 0x00})));
    CHECK_FALSE(extendedResultCode(bytes({0x30, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00,
                                          0x04, 0x00})));
    CHECK_FALSE(extendedResultCode(bytes({0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a})));
    CHECK_FALSE(extendedResultCode(bytes({0x30, 0x7f, 0x02, 0x01, 0x01, 0x78, 0x7f, 0x0a, 0x01, 0x00})));
    CHECK_FALSE(extendedResultCode(bytes({0x30, 0x03, 0x02, 0x7f, 0x01})));
    CHECK_FALSE(extendedResultCode(""));
    CHECK_FALSE(extendedResultCode("\x30"));
    CHECK_FALSE(extendedResultCode("HTTP/1.1 400 Bad Request\r\n\r\n"));
}
