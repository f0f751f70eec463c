#include <parley/parleyd/config_keys.h>

#include "temp_dir.h"

#include <catch2/catch.hpp>

// docs/configuration.md is what administrators read; it must list every key the server
// accepts, with the default the server really uses.
TEST_CASE("docs/configuration.md documents every key with its default")
{
    const auto docs = parley::test::readFile(std::string(PARLEY_SOURCE_DIR) + "/docs/configuration.md");
    REQUIRE_FALSE(docs.empty());
    for (const auto& key : parley::parleyd::configKeys()) {
        INFO(key.name);
        const auto section = key.name.substr(0, key.name.find('.'));
        const auto name = key.name.substr(key.name.find('.') + 1);
        CHECK_THAT(docs, Catch::Contains("## [" + section + "]"));
        // Markdown tables need '|' escaped, also inside code spans.
        std::string value;
        for (const char c : key.defaultValue) {
            if (c == '|')
                value += '\\';
            value += c;
        }
        const auto shownDefault = value.empty() ? "(empty)" : "`" + value + "`";
        const std::string row = "| `" + name + "` | " + shownDefault + " |";
        CHECK_THAT(docs, Catch::Contains(row));
    }
}
