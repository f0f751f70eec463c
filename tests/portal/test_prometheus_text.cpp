#include <parley/portal/http/metrics_registry.h>
#include <parley/portal/http/prometheus_text.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <sstream>

using parley::portal::MetricsRegistry;
using parley::portal::PrometheusText;

namespace {

std::vector<std::string> linesOf(const std::string& text)
{
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

} // namespace

TEST_CASE("a counter family is written with HELP and TYPE, then one line per series")
{
    MetricsRegistry registry;
    auto& requests = registry.counter("parley_http_requests_total", "HTTP requests answered.", {"route", "status"});
    requests.add({"/api/v1/users/{id}", "200"});
    requests.add({"/api/v1/users/{id}", "200"}, 2);
    requests.add({"/healthz", "200"});
    REQUIRE(requests.value({"/api/v1/users/{id}", "200"}) == 3);
    CHECK(registry.render() ==
          "# HELP parley_http_requests_total HTTP requests answered.\n"
          "# TYPE parley_http_requests_total counter\n"
          "parley_http_requests_total{route=\"/api/v1/users/{id}\",status=\"200\"} 3\n"
          "parley_http_requests_total{route=\"/healthz\",status=\"200\"} 1\n");
}

TEST_CASE("a histogram is written with cumulative buckets, +Inf, sum and count")
{
    MetricsRegistry registry;
    auto& latency = registry.histogram("parley_directory_request_duration_seconds", "Directory latency.",
                                       {"operation"}, {0.1, 1});
    latency.observe({"login"}, 0.05);
    latency.observe({"login"}, 0.1); // on the bound: counted in it (le means <=)
    latency.observe({"login"}, 0.5);
    latency.observe({"login"}, 30);
    CHECK(latency.count({"login"}) == 4);
    const auto lines = linesOf(registry.render());
    REQUIRE(lines.size() == 7);
    CHECK(lines[2] == "parley_directory_request_duration_seconds_bucket{operation=\"login\",le=\"0.1\"} 2");
    CHECK(lines[3] == "parley_directory_request_duration_seconds_bucket{operation=\"login\",le=\"1\"} 3");
    CHECK(lines[4] == "parley_directory_request_duration_seconds_bucket{operation=\"login\",le=\"+Inf\"} 4");
    CHECK(lines[5] == "parley_directory_request_duration_seconds_sum{operation=\"login\"} 30.65");
    CHECK(lines[6] == "parley_directory_request_duration_seconds_count{operation=\"login\"} 4");
    CHECK_THROWS_AS(registry.histogram("x", "", {}, {1, 0.5}), std::invalid_argument);
    CHECK_THROWS_AS(registry.histogram("x", "", {}, {}), std::invalid_argument);
}

TEST_CASE("hostile label values cannot end a line, close the label or add a sample")
{
    // What a value that came from outside could try: a newline followed by a forged sample,
    // a quote that closes the label early, backslashes that eat the closing quote, bytes that
    // are not UTF-8, a NUL.
    PrometheusText out;
    out.family("parley_test", "line one\nline two \\ \"quoted\"", "gauge");
    out.sample("parley_test", {{"value", "x\"} 1\nparley_forged 99\n# "}}, 1);
    out.sample("parley_test", {{"value", "ends with a backslash\\"}}, 2);
    out.sample("parley_test", {{"value", std::string("bad \xC0\xAF utf8 \xED\xA0\x80 \xF8 \xE2\x82", 20)}}, 3);
    out.sample("parley_test", {{"value", std::string("nul \0 byte", 10)}}, 4);
    out.sample("parley_test", {{"value", "caf\xC3\xA9 \xF0\x9F\x8E\xA5"}}, 5);

    const auto lines = linesOf(out.text());
    REQUIRE(lines.size() == 7); // HELP, TYPE and the five samples: nothing injected
    CHECK(lines[0] == R"(# HELP parley_test line one\nline two \\ "quoted")");
    CHECK(lines[2] == R"(parley_test{value="x\"} 1\nparley_forged 99\n# "} 1)");
    CHECK(lines[3] == R"(parley_test{value="ends with a backslash\\"} 2)");
    // Every byte that is not part of a valid UTF-8 sequence became U+FFFD.
    CHECK(lines[4] == "parley_test{value=\"bad \xEF\xBF\xBD\xEF\xBF\xBD utf8 \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD "
                      "\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\"} 3");
    CHECK(lines[5] == std::string("parley_test{value=\"nul \0 byte\"} 4", 33));
    CHECK(lines[6] == "parley_test{value=\"caf\xC3\xA9 \xF0\x9F\x8E\xA5\"} 5");
    CHECK(out.text().find("\nparley_forged") == std::string::npos);
}

TEST_CASE("metric and label names outside the format are refused, not written")
{
    PrometheusText out;
    CHECK_THROWS_AS(out.family("9lives", "", "counter"), std::invalid_argument);
    CHECK_THROWS_AS(out.family("has space", "", "counter"), std::invalid_argument);
    CHECK_THROWS_AS(out.family("parley_x", "", "summary_of_sorts"), std::invalid_argument);
    CHECK_THROWS_AS(out.sample("parley_x", {{"la-bel", "v"}}, 1), std::invalid_argument);
    CHECK_THROWS_AS(out.sample("parley_x", {{"__name__", "v"}}, 1), std::invalid_argument);
    CHECK_THROWS_AS(out.sample("parley_x", {{"a:b", "v"}}, 1), std::invalid_argument);
    CHECK_THROWS_AS(out.sample("parley_x{a=\"b\"}", {}, 1), std::invalid_argument);
    CHECK(out.text().empty());
    MetricsRegistry registry;
    auto& counter = registry.counter("parley_x_total", "", {"a", "b"});
    CHECK_THROWS_AS(counter.add({"only one"}), std::invalid_argument);
}

TEST_CASE("sample values read back as the same number")
{
    CHECK(PrometheusText::formatValue(0) == "0");
    CHECK(PrometheusText::formatValue(1e15) == "1000000000000000");
    CHECK(PrometheusText::formatValue(18446744073709551615.0) == "18446744073709551616");
    CHECK(PrometheusText::formatValue(0.1) == "0.1");
    CHECK(PrometheusText::formatValue(-2.5) == "-2.5");
    CHECK(PrometheusText::formatValue(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(PrometheusText::formatValue(-std::numeric_limits<double>::infinity()) == "-Inf");
    CHECK(PrometheusText::formatValue(std::nan("")) == "NaN");
    CHECK(std::stod(PrometheusText::formatValue(1.0 / 3)) == 1.0 / 3);
}

TEST_CASE("collectors are written after the families, at every render")
{
    MetricsRegistry registry;
    int calls = 0;
    registry.addCollector([&calls](PrometheusText& out) {
        out.family("parley_up", "Up.", "gauge");
        out.sample("parley_up", {}, ++calls);
    });
    registry.counter("parley_a_total", "A.", {});
    CHECK(registry.render() == "# HELP parley_a_total A.\n# TYPE parley_a_total counter\n"
                               "# HELP parley_up Up.\n# TYPE parley_up gauge\nparley_up 1\n");
    CHECK(registry.render().ends_with("parley_up 2\n"));
}
