#include <parley/portal/http/address_list.h>

#include <Poco/NumberParser.h>

#include <cstring>

namespace parley::portal {
namespace {

// IPv4-mapped IPv6 addresses are compared as IPv4.
Poco::Net::IPAddress canonical(const Poco::Net::IPAddress& address)
{
    if (address.family() == Poco::Net::IPAddress::IPv6 && address.isIPv4Mapped()) {
        const auto* bytes = static_cast<const unsigned char*>(address.addr());
        return Poco::Net::IPAddress(bytes + 12, 4);
    }
    return address;
}

bool samePrefix(const Poco::Net::IPAddress& a, const Poco::Net::IPAddress& b, unsigned prefix)
{
    if (a.family() != b.family())
        return false;
    const auto* x = static_cast<const unsigned char*>(a.addr());
    const auto* y = static_cast<const unsigned char*>(b.addr());
    const unsigned fullBytes = prefix / 8;
    if (std::memcmp(x, y, fullBytes) != 0)
        return false;
    const unsigned rest = prefix % 8;
    if (rest == 0)
        return true;
    const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
    return (x[fullBytes] & mask) == (y[fullBytes] & mask);
}

} // namespace

AddressList AddressList::parse(const std::string& text)
{
    AddressList list;
    std::string entry;
    auto flush = [&] {
        if (entry.empty())
            return;
        const auto slash = entry.find('/');
        const auto host = entry.substr(0, slash);
        Poco::Net::IPAddress address;
        // Poco 1.11 does not parse the all-zero IPv6 address "::".
        if (host == "::")
            address = Poco::Net::IPAddress(Poco::Net::IPAddress::IPv6);
        else if (!Poco::Net::IPAddress::tryParse(host, address) || host.find('%') != std::string::npos)
            throw AddressListError("'" + entry + "' is not an IP address or CIDR block");
        const bool mapped = address.family() == Poco::Net::IPAddress::IPv6 && address.isIPv4Mapped();
        const unsigned bits = address.family() == Poco::Net::IPAddress::IPv4 ? 32 : 128;
        unsigned prefix = bits;
        if (slash != std::string::npos) {
            const auto digits = entry.substr(slash + 1);
            unsigned parsed = 0;
            if (digits.empty() || digits.size() > 3 ||
                digits.find_first_not_of("0123456789") != std::string::npos ||
                !Poco::NumberParser::tryParseUnsigned(digits, parsed) || parsed > bits)
                throw AddressListError("'" + entry + "' has a prefix length outside 0 to " +
                                       std::to_string(bits));
            prefix = parsed;
        }
        if (mapped) {
            // ::ffff:a.b.c.d/N is the IPv4 block a.b.c.d/(N-96).
            if (prefix < 96)
                throw AddressListError("'" + entry + "' must have a prefix of at least 96 to "
                                       "name IPv4-mapped addresses");
            address = canonical(address);
            prefix -= 96;
        }
        // A block whose host bits are not zero is refused rather than silently widened.
        if (!samePrefix(address, address & Poco::Net::IPAddress(prefix, address.family()),
                        address.family() == Poco::Net::IPAddress::IPv4 ? 32 : 128))
            throw AddressListError("'" + entry + "' has bits set after the prefix; did you mean " +
                                   (address & Poco::Net::IPAddress(prefix, address.family())).toString() +
                                   "/" + std::to_string(prefix) + "?");
        list.blocks_.push_back({address, prefix});
        entry.clear();
    };
    for (const char c : text) {
        if (c == ',' || c == ' ' || c == '\t')
            flush();
        else
            entry += c;
    }
    flush();
    return list;
}

bool AddressList::contains(const Poco::Net::IPAddress& address) const
{
    const auto candidate = canonical(address);
    for (const auto& block : blocks_)
        if (samePrefix(candidate, block.network, block.prefix))
            return true;
    return false;
}

std::vector<std::string> AddressList::entries() const
{
    std::vector<std::string> texts;
    for (const auto& block : blocks_)
        texts.push_back(block.network.toString() + "/" + std::to_string(block.prefix));
    return texts;
}

} // namespace parley::portal
