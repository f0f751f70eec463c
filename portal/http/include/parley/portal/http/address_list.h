#pragma once

#include <Poco/Net/IPAddress.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace parley::portal {

/// Thrown for a list entry that is not an address or CIDR block; the message quotes it.
class AddressListError : public std::invalid_argument
{
public:
    using std::invalid_argument::invalid_argument;
};

/// A list of IPv4 and IPv6 CIDR blocks ("10.0.0.0/8", "2001:db8::/32"; a bare address is a
/// /32 or /128). An IPv4-mapped IPv6 address (::ffff:10.1.2.3) is matched as the IPv4
/// address it carries, so a dual-stack listener cannot be used to slip past an IPv4 entry.
class AddressList
{
public:
    AddressList() = default;

    /// Parses entries separated by commas and/or spaces. Throws AddressListError naming the
    /// first bad entry (host bits set beyond the prefix are refused too: "10.0.0.1/8" is
    /// almost always a typo).
    static AddressList parse(const std::string& text);

    bool empty() const { return blocks_.empty(); }
    bool contains(const Poco::Net::IPAddress& address) const;

private:
    struct Block
    {
        Poco::Net::IPAddress network;
        unsigned prefix;
    };
    std::vector<Block> blocks_;
};

/// Allow and deny lists for one scope (the whole portal, or its admin endpoints).
struct AccessPolicy
{
    AddressList allow; ///< empty: every address not denied
    AddressList deny;  ///< wins over allow

    bool permits(const Poco::Net::IPAddress& address) const
    {
        return !deny.contains(address) && (allow.empty() || allow.contains(address));
    }
};

} // namespace parley::portal
