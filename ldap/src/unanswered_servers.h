#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace parley::ldap {

/// Directory servers that recently did not answer, so that a login does not wait for the same
/// dead server again and again: each is tried after the others for `penalty` after it failed
/// to answer (kSkipUnansweredServerFor in Directory). Not thread-safe: Directory uses it under
/// its lock.
class UnansweredServers
{
public:
    using Clock = std::chrono::steady_clock;

    explicit UnansweredServers(std::chrono::seconds penalty) : penalty_(penalty) {}

    /// `uris` in the order to try them at `now`: first those not in the penalty box, in the
    /// configured order, then the others (still tried: they may be all there is), the one
    /// that failed longest ago first.
    std::vector<std::string> order(const std::vector<std::string>& uris, Clock::time_point now) const;

    /// `uri` did not answer at `now`: it goes to the back of the order until now + penalty.
    void noAnswer(const std::string& uri, Clock::time_point now);

    /// `uri` answered: it takes its configured place again.
    void answered(const std::string& uri) { until_.erase(uri); }

private:
    std::chrono::seconds penalty_;
    std::map<std::string, Clock::time_point> until_;
};

} // namespace parley::ldap
