#include <parley/ldap/directory.h>

#include <ldap.h>

namespace parley::ldap {

std::string escapeFilterValue(const std::string& value)
{
    berval in{static_cast<ber_len_t>(value.size()), const_cast<char*>(value.data())};
    berval out{0, nullptr};
    if (ldap_bv2escaped_filter_value(&in, &out) != 0)
        throw std::runtime_error("out of memory escaping an LDAP filter value");
    std::string escaped(out.bv_val, out.bv_len);
    ber_memfree(out.bv_val);
    return escaped;
}

std::string fillTemplate(std::string text, const std::string& name, const std::string& value)
{
    const std::string placeholder = "{" + name + "}";
    for (auto at = text.find(placeholder); at != std::string::npos;
         at = text.find(placeholder, at + value.size()))
        text.replace(at, placeholder.size(), value);
    return text;
}

} // namespace parley::ldap
