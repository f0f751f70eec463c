#include <parley/parleyd/config_template.h>

#include <parley/parleyd/config_error.h>
#include <parley/parleyd/config_keys.h>

#include <sstream>

namespace parley::parleyd {
namespace {

constexpr std::size_t kCommentWidth = 88;

/// `text` as "; " comment lines of at most kCommentWidth characters, broken at spaces.
void writeComment(std::ostringstream& out, const std::string& text)
{
    std::istringstream words(text);
    std::string word;
    std::string line;
    while (words >> word) {
        if (!line.empty() && line.size() + 1 + word.size() > kCommentWidth - 2) {
            out << "; " << line << "\n";
            line.clear();
        }
        line += (line.empty() ? "" : " ") + word;
    }
    if (!line.empty())
        out << "; " << line << "\n";
}

} // namespace

std::string configTemplate(const std::map<std::string, std::string>& active)
{
    for (const auto& [name, value] : active) {
        const auto* key = findConfigKey(name);
        if (!key)
            throw ConfigError("unknown configuration key '" + name + "' for the template");
        if (!acceptsValue(key->rule, value))
            throw ConfigError("configuration key '" + name + "' expects " + expectedForm(key->rule) +
                              ", got '" + value + "'");
    }
    std::ostringstream out;
    out << "; Parley configuration. Every key is listed with its default, commented out; remove\n"
           "; the ';' in front of a key to change it. docs/configuration.md explains each one.\n"
           "; parleyd reads this file at start: `systemctl restart parleyd` after a change.\n";
    std::string section;
    for (const auto& key : configKeys()) {
        const auto dot = key.name.find('.');
        const auto keySection = key.name.substr(0, dot);
        if (keySection != section) {
            section = keySection;
            out << "\n[" << section << "]\n";
        }
        out << "\n";
        writeComment(out, key.description + " (" + expectedForm(key.rule) + ")");
        const auto name = key.name.substr(dot + 1);
        if (const auto set = active.find(key.name); set != active.end())
            out << name << " = " << set->second << "\n";
        else
            out << ";" << name << " = " << key.defaultValue << "\n";
    }
    return out.str();
}

} // namespace parley::parleyd
