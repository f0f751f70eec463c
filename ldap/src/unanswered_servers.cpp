#include "unanswered_servers.h"

#include <algorithm>

namespace parley::ldap {

std::vector<std::string> UnansweredServers::order(const std::vector<std::string>& uris,
                                                  Clock::time_point now) const
{
    std::vector<std::string> answering;
    std::vector<std::pair<Clock::time_point, std::string>> penalised;
    for (const auto& uri : uris) {
        const auto found = until_.find(uri);
        if (found == until_.end() || found->second <= now)
            answering.push_back(uri);
        else
            penalised.emplace_back(found->second, uri);
    }
    std::stable_sort(penalised.begin(), penalised.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [until, uri] : penalised)
        answering.push_back(std::move(uri));
    return answering;
}

void UnansweredServers::noAnswer(const std::string& uri, Clock::time_point now)
{
    until_[uri] = now + penalty_;
}

} // namespace parley::ldap
