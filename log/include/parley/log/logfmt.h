#pragma once

#include <string>
#include <string_view>

namespace parley::log {

/// Appends `value` to `out` as one logfmt value: bare when it is a non-empty run of
/// printable characters other than space, '=' and '"'; otherwise in double quotes with '"'
/// and '\' escaped. Line breaks, tabs and other control characters become \n, \r, \t or
/// \xHH, and bytes that are not UTF-8 become \xHH, so whatever a value holds (a name typed
/// by a user, an error from a library) it cannot end the line or forge another field.
void appendLogfmtValue(std::string& out, std::string_view value);

/// Whether `name` may be a field name: 1 to 32 characters of a-z, 0-9, '_' and '.',
/// starting with a letter. Field and event names are chosen in the code, never taken from
/// input; this is what keeps them stable and unambiguous.
bool isLogfmtName(std::string_view name);

} // namespace parley::log
