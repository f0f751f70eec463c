#include <parley/portal/http/address_list.h>

#include <catch2/catch.hpp>

using parley::portal::AccessPolicy;
using parley::portal::AddressList;
using parley::portal::AddressListError;
using Poco::Net::IPAddress;

TEST_CASE("CIDR blocks match IPv4 and IPv6 addresses by prefix")
{
    const auto list = AddressList::parse("10.0.0.0/8, 192.168.1.7 2001:db8::/32,fe80::/10");
    CHECK(list.contains(IPAddress("10.200.3.4")));
    CHECK_FALSE(list.contains(IPAddress("11.0.0.1")));
    CHECK(list.contains(IPAddress("192.168.1.7")));
    CHECK_FALSE(list.contains(IPAddress("192.168.1.8")));
    CHECK(list.contains(IPAddress("2001:db8:ffff::1")));
    CHECK_FALSE(list.contains(IPAddress("2001:db9::1")));
    CHECK(list.contains(IPAddress("febf::1")));
    CHECK_FALSE(list.contains(IPAddress("fec0::1")));
    // An IPv4-mapped IPv6 client is the IPv4 address it carries.
    CHECK(list.contains(IPAddress("::ffff:10.1.2.3")));
    CHECK(AddressList::parse("::ffff:10.0.0.0/104").contains(IPAddress("10.9.9.9")));
    CHECK(AddressList::parse("0.0.0.0/0").contains(IPAddress("203.0.113.9")));
    CHECK_FALSE(AddressList::parse("0.0.0.0/0").contains(IPAddress("2001:db8::1")));
    CHECK(AddressList::parse("::/0").contains(IPAddress("2001:db8::1")));
    CHECK(AddressList::parse("").empty());
}

TEST_CASE("Malformed list entries are refused with the entry named")
{
    for (const char* bad : {"10.0.0.0/33", "2001:db8::/129", "10.0.0.1/8", "300.1.1.1", "10.0.0.0/",
                            "10.0.0.0/-1", "10.0.0.0/8/8", "example.org", "fe80::1%eth0", "/8",
                            "10.0.0.0/0008", "2001:db8::1/32"}) {
        INFO(bad);
        try {
            AddressList::parse(std::string("127.0.0.1, ") + bad);
            FAIL("accepted");
        }
        catch (const AddressListError& e) {
            CHECK(std::string(e.what()).find(bad) != std::string::npos);
        }
    }
}

TEST_CASE("Deny wins over allow, and an empty allow list allows everyone not denied")
{
    AccessPolicy open;
    CHECK(open.permits(IPAddress("198.51.100.1")));

    AccessPolicy policy{AddressList::parse("10.0.0.0/8"), AddressList::parse("10.6.6.0/24")};
    CHECK(policy.permits(IPAddress("10.1.1.1")));
    CHECK_FALSE(policy.permits(IPAddress("10.6.6.6")));
    CHECK_FALSE(policy.permits(IPAddress("198.51.100.1")));

    AccessPolicy denyOnly{{}, AddressList::parse("2001:db8::/32")};
    CHECK(denyOnly.permits(IPAddress("10.1.1.1")));
    CHECK_FALSE(denyOnly.permits(IPAddress("2001:db8::5")));
}

TEST_CASE("A list's entries are shown in canonical CIDR form and parse back to the same list")
{
    const auto list = AddressList::parse("10.0.0.0/8, 192.168.1.7 2001:DB8:0:0::/32,::ffff:10.1.2.0/120");
    const std::vector<std::string> expected{"10.0.0.0/8", "192.168.1.7/32", "2001:db8::/32", "10.1.2.0/24"};
    CHECK(list.entries() == expected);
    std::string joined;
    for (const auto& entry : list.entries())
        joined += entry + ",";
    CHECK(AddressList::parse(joined).entries() == expected);
    CHECK(AddressList::parse("").entries().empty());
}
