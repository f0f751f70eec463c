#include <parley/parleyd/config_error.h>
#include <parley/parleyd/ini_file.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace parley::parleyd {
namespace {

std::string_view trim(std::string_view text)
{
    const auto isSpace = [](char c) { return c == ' ' || c == '\t'; };
    while (!text.empty() && isSpace(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && isSpace(text.back()))
        text.remove_suffix(1);
    return text;
}

std::string lower(std::string_view text)
{
    std::string result(text);
    std::transform(result.begin(), result.end(), result.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return result;
}

bool validName(std::string_view name)
{
    return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '.';
    });
}

} // namespace

std::vector<IniEntry> parseIni(std::string_view text, const std::string& sourceName)
{
    constexpr std::string_view kBom = "\xEF\xBB\xBF";
    if (text.starts_with(kBom))
        text.remove_prefix(kBom.size());

    std::vector<IniEntry> entries;
    std::set<std::string> seen;
    std::string section;
    int lineNumber = 0;
    while (!text.empty() || lineNumber == 0) {
        ++lineNumber;
        const auto end = text.find('\n');
        std::string_view raw = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        if (!raw.empty() && raw.back() == '\r')
            raw.remove_suffix(1);

        const auto where = sourceName + ":" + std::to_string(lineNumber);
        if (std::any_of(raw.begin(), raw.end(),
                        [](unsigned char c) { return c < 0x20 && c != '\t'; }))
            throw ConfigError(where + ": contains a control character; the file must be text");

        const auto line = trim(raw);
        if (line.empty() || line.front() == ';' || line.front() == '#')
            continue;
        if (line.front() == '[') {
            if (line.back() != ']')
                throw ConfigError(where + ": section header must look like [section]");
            const auto name = trim(line.substr(1, line.size() - 2));
            if (!validName(name))
                throw ConfigError(where + ": section name '" + std::string(name) +
                                  "' must be letters, digits, '_' or '-'");
            section = lower(name);
            continue;
        }
        const auto equals = line.find('=');
        if (equals == std::string_view::npos)
            throw ConfigError(where + ": expected 'key = value', a [section] header or a comment");
        const auto key = trim(line.substr(0, equals));
        if (!validName(key))
            throw ConfigError(where + ": key '" + std::string(key) +
                              "' must be letters, digits, '_' or '-'");
        if (section.empty())
            throw ConfigError(where + ": key '" + std::string(key) +
                              "' must be inside a [section]");
        auto fullKey = section + "." + lower(key);
        if (!seen.insert(fullKey).second)
            throw ConfigError(where + ": key '" + fullKey + "' is set twice");
        entries.push_back({std::move(fullKey), std::string(trim(line.substr(equals + 1))),
                           lineNumber});
    }
    return entries;
}

} // namespace parley::parleyd
