#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace parley::parleyd {

/// One `key = value` line of an INI file, with its section folded into the key.
struct IniEntry
{
    std::string key; ///< "section.key", lower case
    std::string value;
    int line;
};

/// Parses the text of an INI file: `[section]` headers, `key = value` lines, blank lines and
/// comments starting with `;` or `#`. Keys are case-insensitive; values are trimmed and
/// taken literally (no quoting). A UTF-8 byte order mark and CRLF line ends are accepted.
///
/// Throws ConfigError naming `sourceName` and the line for: a line that is neither, a key
/// outside any section, a malformed section header, a repeated key, an empty key or section
/// name, or a control character (such as NUL) anywhere in the text.
///
/// (Poco's IniFileConfiguration loses line numbers, treats `#` lines as keys and silently
/// keeps the last of two repeated keys: all three hide mistakes from an administrator.)
std::vector<IniEntry> parseIni(std::string_view text, const std::string& sourceName);

} // namespace parley::parleyd
