#pragma once

#include <parley/loadgen/media_endpoint.h>
#include <parley/loadgen/process_usage.h>
#include <parley/loadgen/scenario.h>

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace parley::loadgen {

/// What a load run measured. Counters and latency cover the measured window only; join
/// figures cover the whole run.
struct LoadReport
{
    Scenario scenario;
    int participants = 0;
    int ready = 0; ///< joined, media connected and receiving every track before measuring
    double measuredSeconds = 0;
    MediaCounters counters;
    LatencyHistograms latency;
    std::vector<double> keyframeMs; ///< sorted
    int videoStreams = 0;
    std::optional<ProcessUsage> serverBefore, serverAfter;
    ProcessUsage selfBefore, selfAfter;
    std::vector<std::string> errors;

    /// Video subscriptions: each publisher's video as each other participant receives it.
    int videoSubscriptions() const;
    double serverCores() const;
    /// CPU of the router's workers (threads named parley-media) in cores; nullopt without
    /// --server-pid or such threads.
    std::optional<double> serverMediaCores() const;
    double selfCores() const;
};

/// Runs the scenario against the server: signs in, creates the rooms, joins everyone, waits
/// for their media, warms up, measures, then leaves. Progress goes to `progress`. Throws
/// std::runtime_error when the run cannot start (sign-in or a room refused).
LoadReport runLoad(const Scenario& scenario, std::ostream& progress);

void printReport(std::ostream& out, const LoadReport& report);
void writeReportJson(std::ostream& out, const LoadReport& report);

} // namespace parley::loadgen
