#include <parley/parleyd/config_error.h>
#include <parley/parleyd/config_keys.h>
#include <parley/parleyd/config_template.h>
#include <parley/parleyd/ini_file.h>
#include <parley/parleyd/install_layout.h>
#include <parley/parleyd/settings.h>

#include "temp_dir.h"

#include <catch2/catch.hpp>


using Catch::Contains;
using parley::parleyd::configKeys;
using parley::parleyd::configTemplate;
using parley::parleyd::ConfigError;
using parley::parleyd::layoutOf;
using parley::parleyd::loadSettings;
using parley::test::TempDir;

namespace fs = std::filesystem;

TEST_CASE("The configuration template lists every key under its section, commented out with its default")
{
    const auto text = configTemplate({});
    for (const auto& key : configKeys()) {
        const auto dot = key.name.find('.');
        const auto section = text.find("\n[" + key.name.substr(0, dot) + "]\n");
        REQUIRE(section != std::string::npos);
        const auto body = text.substr(section + 1, text.find("\n[", section + 1) - section);
        INFO(key.name);
        CHECK_THAT(body, Contains("\n;" + key.name.substr(dot + 1) + " = " + key.defaultValue + "\n"));
    }
    // Read back, it means what no file means: every effective value the default.
    TempDir dir;
    parley::test::writeFile(dir / "parley.ini", text);
    CHECK(loadSettings(dir / "parley.ini", {}).effective == loadSettings(std::nullopt, {}).effective);
}

TEST_CASE("The package's template sets its own values and nothing else")
{
    const auto text = configTemplate({{"server.port", "443"}, {"server.data_dir", "/var/lib/parley"}});
    CHECK_THAT(text, Contains("\nport = 443\n"));
    CHECK_THAT(text, Contains("\ndata_dir = /var/lib/parley\n"));
    TempDir dir;
    parley::test::writeFile(dir / "parley.ini", text);
    const auto settings = loadSettings(dir / "parley.ini", {});
    CHECK(settings.https.port == 443);
    CHECK(settings.dataDir == "/var/lib/parley");
    CHECK(settings.https.listenAddress == "127.0.0.1");

    CHECK_THROWS_WITH(configTemplate({{"server.prot", "443"}}), Contains("unknown configuration key 'server.prot'"));
    CHECK_THROWS_WITH(configTemplate({{"server.port", "https"}}), Contains("an integer from 0 to 65535"));
}

TEST_CASE("An installed program finds its web files and /etc configuration, a build tree uses its sources")
{
    TempDir dir;
    const auto prefix = dir / "usr";
    fs::create_directories(prefix / "sbin");
    const fs::path source = "/src/portal/web";

    // Without share/parley/web beside it, a program is not installed, wherever it is.
    auto layout = layoutOf(prefix / "sbin" / "parleyd", source);
    CHECK_FALSE(layout.installed);
    CHECK(layout.webRoot == source);
    CHECK_FALSE(layout.defaultConfig);

    fs::create_directories(prefix / "share" / "parley" / "web");
    layout = layoutOf(prefix / "sbin" / "parleyd", source);
    CHECK(layout.installed);
    CHECK(layout.webRoot == prefix / "share" / "parley" / "web");
    CHECK_FALSE(layout.defaultConfig); // no configuration file there yet

    fs::create_directories(prefix / "etc" / "parley");
    parley::test::writeFile(prefix / "etc" / "parley" / "parley.ini", "");
    CHECK(layoutOf(prefix / "sbin" / "parleyd", source).defaultConfig == prefix / "etc" / "parley" / "parley.ini");

    // A build tree's program (apps/parleyd/parleyd) is never taken for an installed one.
    CHECK_FALSE(layoutOf(dir / "build" / "apps" / "parleyd" / "parleyd", source).installed);
    // The test programs themselves run from the build tree.
    CHECK_FALSE(parley::parleyd::installLayout().installed);
}
