#include <parley/storage/audit_repeat_folder.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>
#include <stdexcept>
#include <utility>

namespace parley::storage {
namespace {

std::string identity(const AuditEvent& event)
{
    std::string key;
    for (const std::string* field : {&event.actor, &event.sourceAddress, &event.action, &event.target,
                                     &event.outcome, &event.details}) {
        key += std::to_string(field->size());
        key += ':';
        key += *field;
        key += ',';
    }
    return key;
}

} // namespace

AuditEvent AuditRepeatSummary::asEvent() const
{
    Poco::JSON::Object::Ptr details;
    try {
        details = Poco::JSON::Parser().parse(event.details).extract<Poco::JSON::Object::Ptr>();
    }
    catch (const Poco::Exception&) {
        // Details are written by Parley's own code as JSON objects; if one is not, keep it
        // as text rather than lose the count.
        details = new Poco::JSON::Object;
        details->set("details", event.details);
    }
    details->set("repeats", count);
    details->set("firstRepeat", auditTime(first));
    details->set("lastRepeat", auditTime(last));
    std::ostringstream text;
    details->stringify(text);
    AuditEvent summary = event;
    summary.details = text.str();
    return summary;
}

AuditRepeatFolder::AuditRepeatFolder(AuditRepeatPolicy policy)
    : policy_(policy)
{
    if (policy_.window.count() <= 0 || policy_.recordedIndividually < 0 || policy_.maxTracked == 0)
        throw std::invalid_argument("audit repeat policy: the window and the number of events followed must be positive");
}

bool AuditRepeatFolder::admit(const AuditEvent& event, TimePoint now, std::vector<AuditRepeatSummary>& due)
{
    expire(now, false, due);
    const auto key = identity(event);
    auto found = tracked_.find(key);
    if (found == tracked_.end()) {
        if (tracked_.size() >= policy_.maxTracked)
            evictOldest(due);
        Tracked tracked;
        tracked.event = event;
        tracked.windowStart = now;
        found = tracked_.emplace(key, std::move(tracked)).first;
        windows_.push_back(key);
    }
    Tracked& entry = found->second;
    if (!entry.flooding && entry.recorded < policy_.recordedIndividually) {
        ++entry.recorded;
        return true;
    }
    if (entry.folded == 0)
        entry.first = now;
    entry.last = now;
    ++entry.folded;
    return false;
}

std::vector<AuditRepeatSummary> AuditRepeatFolder::takeDue(TimePoint now)
{
    std::vector<AuditRepeatSummary> due;
    expire(now, false, due);
    return due;
}

std::vector<AuditRepeatSummary> AuditRepeatFolder::takeAll()
{
    std::vector<AuditRepeatSummary> due;
    expire({}, true, due);
    return due;
}

void AuditRepeatFolder::expire(TimePoint now, bool everything, std::vector<AuditRepeatSummary>& due)
{
    while (!windows_.empty()) {
        const auto key = windows_.front();
        const auto start = tracked_.at(key).windowStart;
        if (!everything && now < start + policy_.window)
            break;
        windows_.pop_front();
        // A flood goes on into a window starting now (not where this one ended, so windows_
        // stays in order), unless a whole window passed since without a look: then it is over.
        const bool goesOn = !everything && now < start + 2 * policy_.window;
        endWindow(key, now, goesOn, due);
    }
}

void AuditRepeatFolder::evictOldest(std::vector<AuditRepeatSummary>& due)
{
    if (windows_.empty())
        return;
    const auto key = windows_.front();
    windows_.pop_front();
    endWindow(key, {}, false, due);
}

void AuditRepeatFolder::endWindow(const std::string& key, TimePoint newStart, bool keep,
                                  std::vector<AuditRepeatSummary>& due)
{
    auto found = tracked_.find(key);
    Tracked& entry = found->second;
    if (entry.folded == 0) {
        tracked_.erase(found);
        return;
    }
    due.push_back({entry.event, entry.folded, entry.first, entry.last});
    if (!keep) {
        tracked_.erase(found);
        return;
    }
    // Still flooding: the next window folds from its first event.
    entry.windowStart = newStart;
    entry.recorded = 0;
    entry.folded = 0;
    entry.flooding = true;
    windows_.push_back(key);
}

} // namespace parley::storage
