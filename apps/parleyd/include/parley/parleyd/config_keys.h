#pragma once

#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace parley::parleyd {

struct IntegerRule
{
    long long min;
    long long max;
};
struct ChoiceRule
{
    std::vector<std::string> choices;
};
struct TextRule
{
    bool allowEmpty;
};
struct AddressRule
{
    bool allowEmpty = false;
};
/// IP addresses and CIDR blocks separated by commas or spaces; may be empty.
struct AddressListRule
{
};
/// Empty, or https://host[:port] with nothing after it but an optional '/'.
struct PublicUrlRule
{
};
using ValueRule = std::variant<IntegerRule, ChoiceRule, TextRule, AddressRule, AddressListRule, PublicUrlRule>;

/// One key parleyd accepts, documented in docs/configuration.md.
struct ConfigKey
{
    std::string name; ///< "section.key"
    std::string defaultValue;
    ValueRule rule;
    std::string description;
    /// Never printed, logged or audited: shown as "(set)" or "" instead.
    bool secret = false;
};

/// Every configuration key, in documentation order.
std::span<const ConfigKey> configKeys();

/// The key with this exact name, or nullptr.
const ConfigKey* findConfigKey(std::string_view name);

/// The known key closest to a mistyped one (edit distance at most 3), or "".
std::string suggestConfigKey(std::string_view name);

/// Whether `value` satisfies `rule`.
bool acceptsValue(const ValueRule& rule, const std::string& value);

/// The accepted form in words, for error messages: "an integer from 1 to 65535".
std::string expectedForm(const ValueRule& rule);

} // namespace parley::parleyd
