// The configuration file (/etc/parley/parley.ini) as parleyd reads it at start and on
// reload. Checked besides not crashing: a mistake is a ConfigError naming the file, never
// another exception; entries read have lower-case "section.key" names, unique, with line
// numbers inside the text.
#include "fuzz_input.h"

#include <parley/parleyd/config_error.h>
#include <parley/parleyd/ini_file.h>

#include <algorithm>
#include <set>
#include <string>

using namespace parley::parleyd;
using parley::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto text = parley::fuzz::text(std::span<const std::uint8_t>(data, size));
    try {
        const auto entries = parseIni(text, "parley.ini");
        const auto lines = 1 + std::count(text.begin(), text.end(), '\n');
        std::set<std::string> keys;
        for (const auto& entry : entries) {
            require(entry.line >= 1 && entry.line <= lines, "an entry's line is not in the text");
            require(entry.key.find('.') != std::string::npos, "an entry outside a section");
            require(std::none_of(entry.key.begin(), entry.key.end(), [](char c) { return c >= 'A' && c <= 'Z'; }),
                    "a key not in lower case");
            require(keys.insert(entry.key).second, "a key given twice was accepted");
        }
    }
    catch (const ConfigError& error) {
        require(std::string(error.what()).find("parley.ini") != std::string::npos, "an error that does not name the file");
    }
    return 0;
}
