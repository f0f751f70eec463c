// The JSON limits scanner against hostile text: it must refuse what is too deep, too many
// or too long in one pass, respect strings and escapes, and accept every valid JSON text
// within the limits (so it never refuses what the parser would read correctly).
#include <parley/portal/http/json_limits.h>

#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

using parley::portal::checkJsonLimits;
using parley::portal::JsonLimits;
using Outcome = parley::portal::JsonCheck::Outcome;

namespace {

constexpr JsonLimits kLimits{.maxBytes = 4096, .maxDepth = 4, .maxValues = 20};

Outcome outcomeOf(const std::string& text, const JsonLimits& limits = kLimits)
{
    return checkJsonLimits(text, limits).outcome;
}

} // namespace

TEST_CASE("valid JSON within the limits is accepted")
{
    for (const std::string& text : std::vector<std::string>{
             "{}", "[]", " \t\r\n{ } \n", "0", "-0", "12.5e-3", "1E+2", "-0.0", "true", "false",
             "null", R"("")", R"("a \" quote, a \\ backslash, \/ \b\f\n\r\t \u00e9 \uD83D\uDE00")",
             R"({"a":1,"b":[true,false,null],"c":{"d":"e"}})", R"([[[[]]]])",
             R"({"":{"":{"":[]}}})", "\"\xc3\xa9 UTF-8 passes through\"",
             R"({"brackets in strings do not count":"[[[[[[[[{{{{{{{{"})"}) {
        INFO(text);
        CHECK(outcomeOf(text) == Outcome::Ok);
        // The scanner agrees with the parser it guards.
        if (text.front() == '{' || text.front() == '[' || text.front() == ' ')
            CHECK_NOTHROW(Poco::JSON::Parser().parse(text));
    }
}

TEST_CASE("nesting deeper than the limit is refused, however it is built")
{
    CHECK(outcomeOf("[[[[]]]]") == Outcome::Ok);
    CHECK(outcomeOf("[[[[[]]]]]") == Outcome::TooDeep);
    CHECK(outcomeOf(R"({"a":{"b":{"c":{"d":{}}}}})") == Outcome::TooDeep);
    CHECK(outcomeOf(R"([{"a":[{"b":1}]}])") == Outcome::Ok);
    CHECK(outcomeOf(R"([{"a":[{"b":[]}]}])") == Outcome::TooDeep);
    // A million open brackets: refused at the fifth, never closed, no stack to speak of.
    const JsonLimits wide{.maxBytes = 2'000'000, .maxDepth = 8, .maxValues = 2'000'000};
    const auto check = checkJsonLimits(std::string(1'000'000, '['), wide);
    CHECK(check.outcome == Outcome::TooDeep);
    CHECK(check.message.find("8 levels") != std::string::npos);
    CHECK(check.limitExceeded());
}

TEST_CASE("more values than the limit are refused, members and elements alike")
{
    // 20 values: the array and 19 elements.
    std::string text = "[0";
    for (int i = 0; i < 18; ++i)
        text += ",0";
    CHECK(outcomeOf(text + "]") == Outcome::Ok);
    CHECK(outcomeOf(text + ",0]") == Outcome::TooManyValues);
    // Object members count by their values; empty containers count as values.
    CHECK(outcomeOf(R"({"a":{},"b":[],"c":"","d":0,"e":null})") == Outcome::Ok);
    std::string members = "{";
    for (int i = 0; i < 20; ++i)
        members += std::string(i ? "," : "") + "\"k" + std::to_string(i) + "\":{}";
    CHECK(outcomeOf(members + "}") == Outcome::TooManyValues);

    // The attack from the outside test: a megabyte of empty objects, refused fast.
    const JsonLimits api{.maxBytes = 2'000'000, .maxDepth = 8, .maxValues = 1024};
    std::string bomb = "[{}";
    while (bomb.size() < 1'000'000)
        bomb += ",{}";
    bomb += "]";
    const auto start = std::chrono::steady_clock::now();
    const auto check = checkJsonLimits(bomb, api);
    CHECK(check.outcome == Outcome::TooManyValues);
    CHECK(check.message.find("1024 values") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(200));
}

TEST_CASE("text longer than the byte limit is refused before it is looked at")
{
    const JsonLimits small{.maxBytes = 10, .maxDepth = 4, .maxValues = 20};
    CHECK(outcomeOf(R"("123456789")", small) == Outcome::TooLarge);
    CHECK(outcomeOf(R"("1234567")", small) == Outcome::Ok);
    CHECK(outcomeOf(std::string(11, ' '), small) == Outcome::TooLarge);
}

TEST_CASE("brackets, quotes and escapes inside strings are data, not structure")
{
    CHECK(outcomeOf(R"(["[[[[[[", "]]]]]]]", "{{{{", "\"[[[[\""])") == Outcome::Ok);
    // An escaped quote does not end the string; an escaped backslash before a quote does.
    CHECK(outcomeOf(R"(["\\"])") == Outcome::Ok);
    CHECK(outcomeOf(R"(["\\\"])") == Outcome::Malformed);
    CHECK(outcomeOf(R"(["\"]"])") == Outcome::Ok);
}

TEST_CASE("malformed text is refused: strings, escapes, numbers, literals and structure")
{
    for (const std::string& text : std::vector<std::string>{
             "", "   ", R"(")", R"("unterminated)", R"(["a)", R"("\)", R"("\x")", R"("\u12")",
             R"("\u12G4")", "\"a\nb\"", std::string("\"a\0b\"", 5), "01", "-", "+1", "1.", ".5",
             "1e", "1e+", "0x10", "NaN", "Infinity", "-Infinity", "tru", "nul", "True", "[1,]",
             "[,1]", "[1 2]", R"({"a"})", R"({"a":})", R"({"a" 1})", R"({a:1})", "{'a':1}",
             R"({"a":1,})", R"({,"a":1})", "[", "]", "{", "}", "[}", "{]", "[1]]", "{} {}",
             "[] x", "/* comment */ {}", "{}//"}) {
        INFO(text);
        const auto check = checkJsonLimits(text, kLimits);
        CHECK(check.outcome == Outcome::Malformed);
        CHECK_FALSE(check.limitExceeded());
        CHECK(check.message.find("at byte") != std::string::npos);
    }
}

TEST_CASE("the first problem wins, so a deep bomb inside a malformed text is refused either way")
{
    CHECK(outcomeOf("[[[[[x") == Outcome::TooDeep);
    CHECK(outcomeOf("[x,[[[[[") == Outcome::Malformed);
}
