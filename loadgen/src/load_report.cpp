#include <parley/loadgen/load_run.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cmath>
#include <iomanip>
#include <ostream>

namespace parley::loadgen {
namespace {

double rankOf(const std::vector<double>& sorted, double fraction)
{
    if (sorted.empty())
        return 0;
    const auto rank = static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(sorted.size())));
    return sorted[std::min(sorted.size(), std::max<std::size_t>(rank, 1)) - 1];
}

double lossPercent(std::uint64_t expected, std::uint64_t received)
{
    return expected == 0 || received >= expected ? 0.0
                                                 : 100.0 * static_cast<double>(expected - received) / static_cast<double>(expected);
}

std::uint64_t lost(std::uint64_t expected, std::uint64_t received)
{
    return received >= expected ? 0 : expected - received;
}

double mebibytes(std::uint64_t bytes)
{
    return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

} // namespace

void printReport(std::ostream& out, const LoadReport& r)
{
    const auto& s = r.scenario;
    const auto& c = r.counters;
    out << std::fixed << std::setprecision(1);
    out << "parley-loadgen report\n";
    const auto video = !s.video ? std::string("off")
                       : s.mediaFile.empty() ? std::to_string(s.videoKbps) + " kbit/s at " + std::to_string(s.fps) + " fps"
                                             : "from " + s.mediaFile;
    const auto audio = !s.audio ? std::string("off") : s.mediaFile.empty() ? std::to_string(s.audioKbps) + " kbit/s" : "from the clip";
    out << "  scenario     " << s.rooms << " room(s) x (" << s.publishers << " publishing + " << s.subscribers
        << " receiving); video " << video << ", audio " << audio << (s.record ? ", recorded" : "")
        << (s.signalingOnly ? ", signaling only" : "")
        << (s.churnSeconds ? ", churn every " + std::to_string(s.churnSeconds) + " s" : "") << "\n";
    out << "  participants " << r.ready << " of " << r.participants << " ready; " << r.videoSubscriptions()
        << " video subscriptions; measured " << r.measuredSeconds << " s after " << s.warmup.count() << " s warm-up\n";
    out << "  sent         video " << c.videoPacketsSent << " packets (" << mebibytes(c.videoBytesSent) << " MiB), audio "
        << c.audioPacketsSent << " packets; " << c.keyframesSent << " keyframes for " << c.keyframeRequestsReceived
        << " requests\n";
    out << "  received     video " << c.videoPacketsReceived << " packets (" << mebibytes(c.videoBytesReceived)
        << " MiB, " << (r.measuredSeconds > 0 ? static_cast<double>(c.videoBytesReceived) * 8 / 1e6 / r.measuredSeconds : 0)
        << " Mbit/s), audio " << c.audioPacketsReceived << " packets\n";
    out << std::setprecision(3);
    out << "  loss         video " << lost(c.videoPacketsExpected, c.videoPacketsReceived) << " of "
        << c.videoPacketsExpected << " (" << lossPercent(c.videoPacketsExpected, c.videoPacketsReceived)
        << " %), audio " << lost(c.audioPacketsExpected, c.audioPacketsReceived) << " of " << c.audioPacketsExpected
        << " (" << lossPercent(c.audioPacketsExpected, c.audioPacketsReceived) << " %)\n";
    out << "  own losses   " << c.ownReceiveDrops << " dropped at our sockets, " << c.ownSendFailures
        << " sends refused (the load generator's, not the server's)\n";
    out << std::setprecision(1);
    out << "  latency      video p50 " << r.latency.video.percentile(0.5) << " us, p99 " << r.latency.video.percentile(0.99)
        << " us, max " << r.latency.video.max() << " us (" << r.latency.video.count() << " packets); audio p50 "
        << r.latency.audio.percentile(0.5) << " us, p99 " << r.latency.audio.percentile(0.99) << " us\n";
    out << "  keyframe     " << r.keyframeMs.size() << " of " << r.videoStreams << " video streams; join to first whole keyframe p50 "
        << rankOf(r.keyframeMs, 0.5) << " ms, p99 " << rankOf(r.keyframeMs, 0.99) << " ms, max "
        << (r.keyframeMs.empty() ? 0 : r.keyframeMs.back()) << " ms\n";
    out << "  errors       " << c.srtpFailures << " SRTP failures, " << c.strayPackets << " stray packets, "
        << c.keyframeRequestsSent << " keyframe requests after loss, " << r.errors.size() << " other\n";
    out << std::setprecision(2);
    if (r.serverBefore && r.serverAfter) {
        const auto& a = *r.serverBefore;
        const auto& b = *r.serverAfter;
        out << "  server       pid " << s.serverPid << ": " << r.serverCores() << " cores";
        if (const auto media = r.serverMediaCores())
            out << " (media workers " << *media << ")";
        out << std::setprecision(1) << ", memory " << mebibytes(a.residentBytes) << " -> " << mebibytes(b.residentBytes)
            << " MiB, threads " << a.threads << " -> " << b.threads << ", open files " << a.openFiles << " -> "
            << b.openFiles << "\n";
    }
    out << std::setprecision(2) << "  load gen     " << r.selfCores() << " cores, memory " << std::setprecision(1)
        << mebibytes(r.selfAfter.residentBytes) << " MiB";
    if (r.serverCores() > 0)
        out << std::setprecision(2) << "; " << r.selfCores() / r.serverCores() << " of the server's CPU";
    out << "\n";
    for (std::size_t i = 0; i < r.errors.size() && i < 20; ++i)
        out << "  error: " << r.errors[i] << "\n";
    if (r.errors.size() > 20)
        out << "  (" << r.errors.size() - 20 << " more errors)\n";
}

void writeReportJson(std::ostream& out, const LoadReport& r)
{
    const auto& c = r.counters;
    Poco::JSON::Object json;
    json.set("rooms", r.scenario.rooms);
    json.set("publishersPerRoom", r.scenario.publishers);
    json.set("subscribersPerRoom", r.scenario.subscribers);
    json.set("videoKbps", r.scenario.video ? r.scenario.videoKbps : 0);
    json.set("audioKbps", r.scenario.audio ? r.scenario.audioKbps : 0);
    json.set("recorded", r.scenario.record);
    json.set("participants", r.participants);
    json.set("ready", r.ready);
    json.set("videoSubscriptions", r.videoSubscriptions());
    json.set("measuredSeconds", r.measuredSeconds);
    json.set("videoPacketsSent", c.videoPacketsSent);
    json.set("audioPacketsSent", c.audioPacketsSent);
    json.set("videoPacketsReceived", c.videoPacketsReceived);
    json.set("videoBytesReceived", c.videoBytesReceived);
    json.set("audioPacketsReceived", c.audioPacketsReceived);
    json.set("videoPacketsLost", lost(c.videoPacketsExpected, c.videoPacketsReceived));
    json.set("videoPacketsExpected", c.videoPacketsExpected);
    json.set("audioPacketsLost", lost(c.audioPacketsExpected, c.audioPacketsReceived));
    json.set("audioPacketsExpected", c.audioPacketsExpected);
    json.set("ownReceiveDrops", c.ownReceiveDrops);
    json.set("ownSendFailures", c.ownSendFailures);
    json.set("srtpFailures", c.srtpFailures);
    json.set("strayPackets", c.strayPackets);
    json.set("keyframesSent", c.keyframesSent);
    json.set("keyframeRequestsReceived", c.keyframeRequestsReceived);
    json.set("videoLatencyP50Us", r.latency.video.percentile(0.5));
    json.set("videoLatencyP99Us", r.latency.video.percentile(0.99));
    json.set("videoLatencyMaxUs", r.latency.video.max());
    json.set("videoLatencySamples", r.latency.video.count());
    json.set("audioLatencyP50Us", r.latency.audio.percentile(0.5));
    json.set("audioLatencyP99Us", r.latency.audio.percentile(0.99));
    json.set("videoStreams", r.videoStreams);
    json.set("keyframes", static_cast<int>(r.keyframeMs.size()));
    json.set("keyframeP50Ms", rankOf(r.keyframeMs, 0.5));
    json.set("keyframeP99Ms", rankOf(r.keyframeMs, 0.99));
    json.set("keyframeMaxMs", r.keyframeMs.empty() ? 0.0 : r.keyframeMs.back());
    json.set("loadgenCores", r.selfCores());
    if (r.serverBefore && r.serverAfter) {
        json.set("serverCores", r.serverCores());
        if (const auto media = r.serverMediaCores())
            json.set("serverMediaCores", *media);
        json.set("serverMemoryBeforeBytes", r.serverBefore->residentBytes);
        json.set("serverMemoryAfterBytes", r.serverAfter->residentBytes);
        json.set("serverAnonymousMemoryBeforeBytes", r.serverBefore->anonymousBytes);
        json.set("serverAnonymousMemoryAfterBytes", r.serverAfter->anonymousBytes);
        json.set("serverFileMemoryBeforeBytes", r.serverBefore->fileBytes);
        json.set("serverFileMemoryAfterBytes", r.serverAfter->fileBytes);
        json.set("serverThreadsBefore", r.serverBefore->threads);
        json.set("serverThreadsAfter", r.serverAfter->threads);
        for (const auto& [key, usage] : {std::pair{"serverThreadsByNameBefore", r.serverBefore},
                                         std::pair{"serverThreadsByNameAfter", r.serverAfter}}) {
            Poco::JSON::Object::Ptr names = new Poco::JSON::Object;
            for (const auto& [name, count] : usage->threadsByName)
                names->set(name, count);
            json.set(key, names);
        }
        json.set("serverOpenFilesBefore", r.serverBefore->openFiles);
        json.set("serverOpenFilesAfter", r.serverAfter->openFiles);
    }
    Poco::JSON::Array::Ptr errors = new Poco::JSON::Array;
    for (const auto& error : r.errors)
        errors->add(error);
    json.set("errors", errors);
    json.stringify(out, 2);
    out << "\n";
}

} // namespace parley::loadgen
