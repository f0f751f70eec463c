#include <parley/portal/recordings/recording_viewings.h>

#include <parley/log/log_event.h>
#include <parley/portal/http/json_response.h>
#include <parley/portal/http/secret_token.h>
#include <parley/storage/audit_details.h>
#include <parley/storage/audit_log.h>

#include <Poco/Logger.h>

#include <algorithm>

namespace parley::portal {
namespace {

std::string target(std::int64_t recordingId)
{
    return "recording:" + std::to_string(recordingId);
}

} // namespace

RecordingViewings::RecordingViewings(storage::AuditLog& audit, Policy policy, Clock clock)
    : audit_(audit), policy_(policy), clock_(std::move(clock))
{}

RecordingViewings::~RecordingViewings()
{
    try {
        closeIdle(true);
    }
    catch (const std::exception& e) {
        log::error(Poco::Logger::get("portal.recording"), "recording.view_end_failed",
                   std::string("the ends of open viewings could not be audited: ") + e.what(), {{"error", e.what()}});
    }
}

std::string RecordingViewings::request(const Viewer& viewer, std::int64_t recordingId, const std::string& file,
                                       std::uint64_t first, std::uint64_t last)
{
    const auto now = clock_();
    const std::string key = viewer.session + "/" + std::to_string(recordingId);
    std::lock_guard lock(mutex_);
    auto found = open_.find(key);
    if (found != open_.end() && now - found->second.lastRequest > policy_.idle) {
        end(found->second);
        open_.erase(found);
        found = open_.end();
    }
    if (found == open_.end()) {
        if (open_.size() >= policy_.maxOpen) {
            const auto oldest = std::min_element(open_.begin(), open_.end(), [](const auto& a, const auto& b) {
                return a.second.lastRequest < b.second.lastRequest;
            });
            end(oldest->second);
            open_.erase(oldest);
        }
        Viewing viewing;
        // Short: it only ties the two entries of one viewing together.
        viewing.id = randomToken().substr(0, 12);
        viewing.viewer = viewer;
        viewing.recordingId = recordingId;
        viewing.started = now;
        // Before any byte is sent; if the log cannot be written, nothing is.
        audit_.append({viewer.actor, viewer.address, "recording.view", target(recordingId), "success",
                       storage::AuditDetails()
                           .add("viewing", viewing.id)
                           .add("file", file)
                           .add("range", std::to_string(first) + "-" + std::to_string(last))
                           .text()});
        found = open_.emplace(key, std::move(viewing)).first;
    }
    auto& viewing = found->second;
    viewing.lastRequest = now;
    ++viewing.requests;
    viewing.bytes += last >= first ? last - first + 1 : 0;
    add(viewing, file, first, last);
    return viewing.id;
}

void RecordingViewings::add(Viewing& viewing, const std::string& file, std::uint64_t first, std::uint64_t last) const
{
    if (last < first)
        return;
    auto& ranges = viewing.ranges[file];
    ranges.push_back({first, last});
    std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.first < b.first; });
    std::vector<Range> merged;
    for (const auto& range : ranges) {
        // Touching or overlapping ranges are one.
        if (!merged.empty() && range.first <= merged.back().last + 1)
            merged.back().last = std::max(merged.back().last, range.last);
        else
            merged.push_back(range);
    }
    // Past the bound the closest neighbours are joined: the summary says less, never wrong
    // about where it began and ended.
    while (merged.size() > policy_.maxRanges) {
        std::size_t closest = 0;
        for (std::size_t i = 1; i + 1 < merged.size(); ++i)
            if (merged[i + 1].first - merged[i].last < merged[closest + 1].first - merged[closest].last)
                closest = i;
        merged[closest].last = merged[closest + 1].last;
        merged.erase(merged.begin() + static_cast<std::ptrdiff_t>(closest) + 1);
    }
    ranges = std::move(merged);
}

void RecordingViewings::end(const Viewing& viewing)
{
    std::string summary;
    for (const auto& [file, ranges] : viewing.ranges) {
        summary += (summary.empty() ? "" : "; ") + file + ":";
        for (std::size_t i = 0; i < ranges.size(); ++i)
            summary += (i ? ", " : " ") + std::to_string(ranges[i].first) + "-" + std::to_string(ranges[i].last);
    }
    audit_.append({viewing.viewer.actor, viewing.viewer.address, "recording.view.end", target(viewing.recordingId),
                   "success",
                   storage::AuditDetails()
                       .add("viewing", viewing.id)
                       .add("requests", viewing.requests)
                       .add("bytes", static_cast<std::int64_t>(viewing.bytes))
                       .add("ranges", summary)
                       .add("from", isoTime(std::chrono::system_clock::to_time_t(viewing.started)))
                       .add("to", isoTime(std::chrono::system_clock::to_time_t(viewing.lastRequest)))
                       .text()});
}

std::size_t RecordingViewings::closeIdle(bool everything)
{
    const auto now = clock_();
    std::lock_guard lock(mutex_);
    std::size_t ended = 0;
    for (auto it = open_.begin(); it != open_.end();) {
        if (everything || now - it->second.lastRequest > policy_.idle) {
            end(it->second);
            it = open_.erase(it);
            ++ended;
        }
        else
            ++it;
    }
    return ended;
}

std::size_t RecordingViewings::open() const
{
    std::lock_guard lock(mutex_);
    return open_.size();
}

} // namespace parley::portal
