// docs/security.md promises things and names, for each, the test that fails when the promise
// breaks. A name that matches no test (renamed, removed, mistyped, or cut by ctest at a ';')
// would leave the promise unchecked while the doc still claims it.
#include "child_process.h"
#include "temp_dir.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace {

/// Every test of this build as ctest knows it: "<executable>: <test case>" for the Catch2
/// executables (catch_discover_tests' prefix), the add_test name for the others.
std::vector<std::string> builtTests()
{
    const auto listing = parley::test::shellOutput("cd '" PARLEY_BUILD_DIR "' && '" PARLEY_CTEST_COMMAND
                                                   "' --show-only=json-v1 2>/dev/null");
    const auto root = Poco::JSON::Parser().parse(listing).extract<Poco::JSON::Object::Ptr>();
    const auto tests = root->getArray("tests");
    std::vector<std::string> names;
    for (std::size_t i = 0; i < tests->size(); ++i)
        names.push_back(tests->getObject(static_cast<unsigned>(i))->getValue<std::string>("name"));
    return names;
}

/// The test names a document cites: code spans of the form `<executable>: <name>` (or
/// `e2e: <name>`); a name ending in "..." stands for every test it begins.
std::set<std::string> citedTests(const std::string& document)
{
    const std::regex span("`([^`\n]+)`");
    const std::regex citation("^([a-z0-9_]+_tests|e2e): .+");
    std::set<std::string> names;
    for (std::sregex_iterator s(document.begin(), document.end(), span), end; s != end; ++s) {
        auto text = std::regex_replace((*s)[1].str(), std::regex(R"(\\\|)"), "|"); // table escapes
        if (std::regex_match(text, citation))
            names.insert(text);
    }
    return names;
}

/// "<executable>:<name>" whether or not a space follows the colon: the docs write one, and
/// catch_discover_tests loses the trailing space of its prefix (cmake -D trims values).
std::string canonical(const std::string& name)
{
    const auto colon = name.find(':');
    if (colon == std::string::npos || colon + 1 >= name.size() || name[colon + 1] != ' ')
        return name;
    return name.substr(0, colon + 1) + name.substr(colon + 2);
}

bool exists(const std::vector<std::string>& tests, const std::string& cited)
{
    const std::string ellipsis = "...";
    if (cited.size() > ellipsis.size() && cited.ends_with(ellipsis)) {
        auto prefix = canonical(cited.substr(0, cited.size() - ellipsis.size()));
        while (prefix.ends_with(' '))
            prefix.pop_back();
        return std::any_of(tests.begin(), tests.end(),
                           [&](const auto& name) { return canonical(name).starts_with(prefix); });
    }
    return std::any_of(tests.begin(), tests.end(),
                       [&](const auto& name) { return canonical(name) == canonical(cited); });
}

} // namespace

TEST_CASE("Every test docs/security.md names is a test of the built suite")
{
    const auto tests = builtTests();
    REQUIRE(tests.size() > 100); // ctest answered with the whole suite, not an empty list
    const auto cited = citedTests(parley::test::readFile(PARLEY_SOURCE_DIR "/docs/security.md"));
    REQUIRE(cited.size() > 50);

    std::string missing;
    for (const auto& name : cited)
        if (!exists(tests, name))
            missing += "\n  " + name;
    // Test executables not built yet show up in ctest as "<executable>_NOT_BUILT".
    std::string notBuilt;
    for (const auto& name : tests)
        if (name.ends_with("_NOT_BUILT"))
            notBuilt += " " + name;
    INFO("ctest lists executables that are not built:" << (notBuilt.empty() ? " none" : notBuilt));
    INFO("docs/security.md names tests that do not exist:" << missing);
    CHECK(missing.empty());
}

TEST_CASE("No test case name has a semicolon, which ctest would cut into tests that run nothing")
{
    // catch_discover_tests splits a name at ';': each piece becomes a ctest test whose Catch
    // filter matches no case, so it "passes" without running anything. The second piece
    // shows as "<executable>: <rest>" (a space after the colon, which real names lack).
    const std::regex cut("^[a-z0-9_]+_tests: .*");
    std::vector<std::string> pieces;
    for (const auto& name : builtTests())
        if (std::regex_match(name, cut))
            pieces.push_back(name);
    INFO("tests cut at a ';' (rename their TEST_CASE): " << pieces.size());
    for (const auto& piece : pieces)
        UNSCOPED_INFO(piece);
    CHECK(pieces.empty());
}
