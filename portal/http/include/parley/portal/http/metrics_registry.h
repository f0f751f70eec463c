#pragma once

#include <parley/portal/http/prometheus_text.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace parley::portal {

/// Counts events by a fixed set of labels (`parley_http_requests_total{route,method,status}`).
/// The label values a caller passes must come from a small set the code knows (route
/// templates, reason codes, status numbers), never from a person: they are exported as they
/// are. Thread-safe; a mutex per family, taken once per event, so not for the media path.
class MetricCounter
{
public:
    MetricCounter(std::string name, std::string help, std::vector<std::string> labelNames);

    /// Adds `by` to the series with these label values (one per label name, in order;
    /// std::invalid_argument otherwise).
    void add(const std::vector<std::string>& labelValues, std::uint64_t by = 1);
    /// The series' value now (0 if it was never counted).
    std::uint64_t value(const std::vector<std::string>& labelValues) const;
    void render(PrometheusText& out) const;

private:
    std::string name_;
    std::string help_;
    std::vector<std::string> labelNames_;
    mutable std::mutex mutex_;
    std::map<std::vector<std::string>, std::uint64_t> values_;
};

/// Observations (seconds, bytes) in cumulative buckets, as a Prometheus histogram: `_bucket`
/// per upper bound and `+Inf`, `_sum` and `_count`. Same labelling rules as MetricCounter.
class MetricHistogram
{
public:
    /// `bounds` ascending upper bounds (std::invalid_argument otherwise).
    MetricHistogram(std::string name, std::string help, std::vector<std::string> labelNames,
                    std::vector<double> bounds);

    void observe(const std::vector<std::string>& labelValues, double value);
    /// How many observations the series holds.
    std::uint64_t count(const std::vector<std::string>& labelValues) const;
    void render(PrometheusText& out) const;

private:
    struct Series
    {
        std::vector<std::uint64_t> buckets; ///< not cumulative; one per bound
        std::uint64_t count = 0;
        double sum = 0;
    };

    std::string name_;
    std::string help_;
    std::vector<std::string> labelNames_;
    std::vector<double> bounds_;
    mutable std::mutex mutex_;
    std::map<std::vector<std::string>, Series> series_;
};

/// The server's metrics: the counters and histograms its parts update as things happen, and
/// collectors that read the rest (gauges, and counters kept elsewhere such as the media
/// router's) when a scrape asks. `render` writes them all in the Prometheus text format.
/// Families are created before the server serves and live as long as the registry.
class MetricsRegistry
{
public:
    using Collector = std::function<void(PrometheusText&)>;

    /// A new counter family; the reference stays valid for the registry's life.
    MetricCounter& counter(std::string name, std::string help, std::vector<std::string> labelNames);
    /// A new histogram family; the reference stays valid for the registry's life.
    MetricHistogram& histogram(std::string name, std::string help, std::vector<std::string> labelNames,
                               std::vector<double> bounds);
    /// Runs at each render, after the families above, in the order added.
    void addCollector(Collector collector);

    /// Every family and collector, in the text exposition format 0.0.4.
    std::string render() const;

private:
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<MetricCounter>> counters_;
    std::vector<std::unique_ptr<MetricHistogram>> histograms_;
    std::vector<Collector> collectors_;
};

} // namespace parley::portal
