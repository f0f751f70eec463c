#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::portal {

/// The media type of the Prometheus text exposition format this writer produces.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

/// Label names and values of one sample, in the order they are written.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

/// Writes metrics in the Prometheus text exposition format 0.0.4: for each family a `# HELP`
/// and a `# TYPE` line, then its samples. (Poco 1.11, the Debian 12 version, has no
/// Prometheus module; prometheus-cpp is not packaged with a stable API there.)
///
/// Names are the code's own and are checked: a metric or label name outside
/// `[a-zA-Z_:][a-zA-Z0-9_:]*` (labels: no colon, no leading `__`) throws std::invalid_argument,
/// a programming error. Label values and help texts may hold anything: backslash, double
/// quote and line feed are escaped as the format says, and bytes that are not UTF-8 become
/// U+FFFD, so no value can end a line, close a label early or inject a sample.
class PrometheusText
{
public:
    /// Starts a family: `type` is "counter", "gauge", "histogram" or "untyped".
    void family(std::string_view name, std::string_view help, std::string_view type);

    /// One sample line, `name{labels} value`. `name` may extend the family's name (the
    /// `_bucket`, `_sum` and `_count` of a histogram). Values are written so that Prometheus
    /// reads back the same double (`+Inf`, `-Inf` and `NaN` included).
    void sample(std::string_view name, const MetricLabels& labels, double value);

    /// What has been written so far.
    const std::string& text() const { return text_; }

    /// A label value as it appears between the quotes.
    static std::string escapeLabelValue(std::string_view value);
    /// A help text as it appears after `# HELP name `.
    static std::string escapeHelp(std::string_view help);
    /// How a sample value is written.
    static std::string formatValue(double value);

private:
    std::string text_;
};

} // namespace parley::portal
