#include <parley/portal/http/prometheus_text.h>

#include <parley/log/utf8_sequence.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace parley::portal {
namespace {

bool isNameStart(char c, bool colonAllowed)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colonAllowed && c == ':');
}

bool isNameChar(char c, bool colonAllowed)
{
    return isNameStart(c, colonAllowed) || (c >= '0' && c <= '9');
}

void checkName(std::string_view name, bool isLabel)
{
    bool valid = !name.empty() && isNameStart(name.front(), !isLabel);
    for (const char c : name)
        valid = valid && isNameChar(c, !isLabel);
    if (isLabel && name.starts_with("__"))
        valid = false; // reserved for Prometheus itself
    if (!valid)
        throw std::invalid_argument("not a valid Prometheus " + std::string(isLabel ? "label" : "metric") +
                                    " name: '" + std::string(name) + "'");
}

std::string escaped(std::string_view value, bool quotes)
{
    std::string out;
    out.reserve(value.size());
    for (std::size_t i = 0; i < value.size();) {
        const char c = value[i];
        const auto length = log::utf8SequenceLength(value, i);
        if (length == 0) {
            out += "\xEF\xBF\xBD"; // U+FFFD for a byte that is not UTF-8
            ++i;
            continue;
        }
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '"' && quotes)
            out += "\\\"";
        else
            out.append(value.substr(i, length));
        i += length;
    }
    return out;
}

} // namespace

std::string PrometheusText::escapeLabelValue(std::string_view value)
{
    return escaped(value, true);
}

std::string PrometheusText::escapeHelp(std::string_view help)
{
    return escaped(help, false);
}

std::string PrometheusText::formatValue(double value)
{
    if (std::isnan(value))
        return "NaN";
    if (std::isinf(value))
        return value > 0 ? "+Inf" : "-Inf";
    char buffer[32];
    // Counts are whole numbers and read best as such ("1000000", not "1e+06").
    constexpr double kExactIntegers = 9007199254740992.0; // 2^53
    if (value == std::trunc(value) && std::fabs(value) < kExactIntegers) {
        const auto result = std::to_chars(buffer, buffer + sizeof buffer, static_cast<std::int64_t>(value));
        return std::string(buffer, result.ptr);
    }
    // Shortest text that reads back as the same double.
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

void PrometheusText::family(std::string_view name, std::string_view help, std::string_view type)
{
    checkName(name, false);
    if (type != "counter" && type != "gauge" && type != "histogram" && type != "untyped")
        throw std::invalid_argument("not a Prometheus metric type: '" + std::string(type) + "'");
    text_ += "# HELP ";
    text_ += name;
    text_ += ' ';
    text_ += escapeHelp(help);
    text_ += "\n# TYPE ";
    text_ += name;
    text_ += ' ';
    text_ += type;
    text_ += '\n';
}

void PrometheusText::sample(std::string_view name, const MetricLabels& labels, double value)
{
    checkName(name, false);
    // Built aside, so a refused label name leaves no half line behind.
    std::string line(name);
    if (!labels.empty()) {
        line += '{';
        bool first = true;
        for (const auto& [label, labelValue] : labels) {
            checkName(label, true);
            if (!first)
                line += ',';
            first = false;
            line += label;
            line += "=\"";
            line += escapeLabelValue(labelValue);
            line += '"';
        }
        line += '}';
    }
    line += ' ';
    line += formatValue(value);
    line += '\n';
    text_ += line;
}

} // namespace parley::portal
