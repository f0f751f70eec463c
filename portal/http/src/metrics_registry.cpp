#include <parley/portal/http/metrics_registry.h>

#include <algorithm>
#include <stdexcept>

namespace parley::portal {
namespace {

MetricLabels labelled(const std::vector<std::string>& names, const std::vector<std::string>& values)
{
    MetricLabels labels;
    for (std::size_t i = 0; i < names.size(); ++i)
        labels.emplace_back(names[i], values[i]);
    return labels;
}

void checkArity(const std::string& name, const std::vector<std::string>& names,
                const std::vector<std::string>& values)
{
    if (names.size() != values.size())
        throw std::invalid_argument(name + " takes " + std::to_string(names.size()) + " label values, not " +
                                    std::to_string(values.size()));
}

} // namespace

MetricCounter::MetricCounter(std::string name, std::string help, std::vector<std::string> labelNames)
    : name_(std::move(name)), help_(std::move(help)), labelNames_(std::move(labelNames))
{}

void MetricCounter::add(const std::vector<std::string>& labelValues, std::uint64_t by)
{
    checkArity(name_, labelNames_, labelValues);
    std::lock_guard lock(mutex_);
    values_[labelValues] += by;
}

std::uint64_t MetricCounter::value(const std::vector<std::string>& labelValues) const
{
    std::lock_guard lock(mutex_);
    const auto found = values_.find(labelValues);
    return found == values_.end() ? 0 : found->second;
}

void MetricCounter::render(PrometheusText& out) const
{
    out.family(name_, help_, "counter");
    std::lock_guard lock(mutex_);
    for (const auto& [labels, value] : values_)
        out.sample(name_, labelled(labelNames_, labels), static_cast<double>(value));
}

MetricHistogram::MetricHistogram(std::string name, std::string help, std::vector<std::string> labelNames,
                                 std::vector<double> bounds)
    : name_(std::move(name)), help_(std::move(help)), labelNames_(std::move(labelNames)), bounds_(std::move(bounds))
{
    if (bounds_.empty() || !std::is_sorted(bounds_.begin(), bounds_.end()) ||
        std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end())
        throw std::invalid_argument(name_ + ": histogram bounds must be ascending and distinct");
}

void MetricHistogram::observe(const std::vector<std::string>& labelValues, double value)
{
    checkArity(name_, labelNames_, labelValues);
    std::lock_guard lock(mutex_);
    auto& series = series_[labelValues];
    if (series.buckets.empty())
        series.buckets.assign(bounds_.size(), 0);
    const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
    if (static_cast<std::size_t>(bucket) < bounds_.size())
        ++series.buckets[bucket];
    ++series.count;
    series.sum += value;
}

std::uint64_t MetricHistogram::count(const std::vector<std::string>& labelValues) const
{
    std::lock_guard lock(mutex_);
    const auto found = series_.find(labelValues);
    return found == series_.end() ? 0 : found->second.count;
}

void MetricHistogram::render(PrometheusText& out) const
{
    out.family(name_, help_, "histogram");
    std::lock_guard lock(mutex_);
    for (const auto& [labelValues, series] : series_) {
        auto labels = labelled(labelNames_, labelValues);
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < bounds_.size(); ++i) {
            cumulative += series.buckets[i];
            auto withBound = labels;
            withBound.emplace_back("le", PrometheusText::formatValue(bounds_[i]));
            out.sample(name_ + "_bucket", withBound, static_cast<double>(cumulative));
        }
        auto infinite = labels;
        infinite.emplace_back("le", "+Inf");
        out.sample(name_ + "_bucket", infinite, static_cast<double>(series.count));
        out.sample(name_ + "_sum", labels, series.sum);
        out.sample(name_ + "_count", labels, static_cast<double>(series.count));
    }
}

MetricCounter& MetricsRegistry::counter(std::string name, std::string help, std::vector<std::string> labelNames)
{
    std::lock_guard lock(mutex_);
    counters_.push_back(std::make_unique<MetricCounter>(std::move(name), std::move(help), std::move(labelNames)));
    return *counters_.back();
}

MetricHistogram& MetricsRegistry::histogram(std::string name, std::string help,
                                            std::vector<std::string> labelNames, std::vector<double> bounds)
{
    std::lock_guard lock(mutex_);
    histograms_.push_back(std::make_unique<MetricHistogram>(std::move(name), std::move(help),
                                                            std::move(labelNames), std::move(bounds)));
    return *histograms_.back();
}

void MetricsRegistry::addCollector(Collector collector)
{
    std::lock_guard lock(mutex_);
    collectors_.push_back(std::move(collector));
}

std::string MetricsRegistry::render() const
{
    PrometheusText out;
    std::lock_guard lock(mutex_);
    for (const auto& counter : counters_)
        counter->render(out);
    for (const auto& histogram : histograms_)
        histogram->render(out);
    for (const auto& collect : collectors_)
        collect(out);
    return out.text();
}

} // namespace parley::portal
