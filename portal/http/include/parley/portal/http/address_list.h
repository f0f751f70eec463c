#pragma once

#include <Poco/Net/IPAddress.h>

#include <memory>
#include <mutex>
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
    /// The blocks in canonical CIDR form ("10.0.0.0/8", "2001:db8::/32", "10.1.2.3/32"), in
    /// the order given; parse() of them joined by commas gives the same list.
    std::vector<std::string> entries() const;

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

/// The allow and deny lists in force, for the whole portal and for its admin endpoints. An
/// admin may replace them at run time (the settings API); the request router reads them for
/// every request, so a change applies from the next request on. Thread-safe.
class AccessControl
{
public:
    AccessControl(AccessPolicy portal, AccessPolicy admin) { set(std::move(portal), std::move(admin)); }

    /// The lists in force now; a later set() does not change what was returned.
    std::shared_ptr<const AccessPolicy> portal() const
    {
        std::lock_guard lock(mutex_);
        return portal_;
    }
    std::shared_ptr<const AccessPolicy> admin() const
    {
        std::lock_guard lock(mutex_);
        return admin_;
    }
    /// Both lists at once, so no request sees a new portal list with an old admin list.
    void set(AccessPolicy portal, AccessPolicy admin)
    {
        auto newPortal = std::make_shared<const AccessPolicy>(std::move(portal));
        auto newAdmin = std::make_shared<const AccessPolicy>(std::move(admin));
        std::lock_guard lock(mutex_);
        portal_ = std::move(newPortal);
        admin_ = std::move(newAdmin);
    }

private:
    mutable std::mutex mutex_;
    // Shared, not copied: a request holds the lists it checks without copying every block.
    std::shared_ptr<const AccessPolicy> portal_;
    std::shared_ptr<const AccessPolicy> admin_;
};

} // namespace parley::portal
