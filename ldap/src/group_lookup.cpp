#include "group_lookup.h"

#include <parley/ldap/directory.h>

#include <cctype>
#include <set>

namespace parley::ldap {
namespace {

// How many groups one nested_search query asks about: their filters are OR-ed together, so a
// level costs a few queries, not one per group.
constexpr std::size_t kGroupsPerQuery = 32;

// DNs compare case-insensitively and without spaces around separators.
std::string normalizeDn(const std::string& dn)
{
    std::string out;
    for (std::size_t i = 0; i < dn.size(); ++i) {
        const char c = dn[i];
        if (c == ' ' && ((!out.empty() && (out.back() == ',' || out.back() == '=')) ||
                         (i + 1 < dn.size() && (dn[i + 1] == ',' || dn[i + 1] == '='))))
            continue;
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

bool listed(const std::string& group, const std::vector<std::string>& list)
{
    const auto wanted = normalizeDn(group);
    for (const auto& candidate : list)
        if (normalizeDn(candidate) == wanted)
            return true;
    return false;
}

std::string groupFilterFor(const DirectorySettings& s, const std::string& memberDn)
{
    return fillTemplate(s.groupFilter, "dn", escapeFilterValue(memberDn));
}

// The groups that have any of `members` as a member, in queries of kGroupsPerQuery.
std::vector<std::string> groupsContaining(DirectoryConnection& service, const DirectorySettings& s,
                                          const std::vector<std::string>& members, bool& truncated)
{
    std::vector<std::string> found;
    for (std::size_t start = 0; start < members.size(); start += kGroupsPerQuery) {
        const auto end = std::min(members.size(), start + kGroupsPerQuery);
        std::string filter;
        for (auto i = start; i < end; ++i)
            filter += groupFilterFor(s, members[i]);
        if (end - start > 1)
            filter = "(|" + filter + ")";
        bool more = false;
        for (const auto& group : service.search(s.groupBase, filter, {"1.1"},
                                                static_cast<int>(kMaxGroupsPerUser), &more))
            found.push_back(group.dn);
        truncated = truncated || more;
    }
    return found;
}

GroupLookup nestedSearch(DirectoryConnection& service, const DirectorySettings& s, const Entry& user)
{
    GroupLookup lookup;
    lookup.where = "group searches under '" + s.groupBase + "' with '" + groupFilterFor(s, user.dn) +
                   "', then the same for each group found (nested, up to " +
                   std::to_string(kMaxGroupNestingDepth) + " levels)";
    // Every DN seen, the user's included: a group that contains (indirectly) itself or the
    // user is read once, so a cycle ends the walk instead of looping.
    std::set<std::string> seen{normalizeDn(user.dn)};
    std::vector<std::string> level{user.dn};
    for (int depth = 1; !level.empty(); ++depth) {
        std::vector<std::string> next;
        for (auto& group : groupsContaining(service, s, level, lookup.truncated)) {
            if (!seen.insert(normalizeDn(group)).second)
                continue;
            if (depth > kMaxGroupNestingDepth) {
                lookup.deeperNotFollowed = true;
                break;
            }
            if (lookup.groups.size() == kMaxGroupsPerUser) {
                lookup.truncated = true;
                return lookup;
            }
            lookup.groups.push_back(group);
            next.push_back(std::move(group));
        }
        if (depth > kMaxGroupNestingDepth)
            break;
        level = std::move(next);
    }
    return lookup;
}

} // namespace

GroupLookup lookUpGroups(DirectoryConnection& service, const DirectorySettings& s, const Entry& user)
{
    if (s.groupMode == kGroupModeNestedSearch)
        return nestedSearch(service, s, user);
    GroupLookup lookup;
    if (s.groupMode == kGroupModeSearch) {
        lookup.where = "a group search under '" + s.groupBase + "' with '" + groupFilterFor(s, user.dn) + "'";
        for (const auto& group : service.search(s.groupBase, groupFilterFor(s, user.dn), {"1.1"},
                                                static_cast<int>(kMaxGroupsPerUser), &lookup.truncated))
            lookup.groups.push_back(group.dn);
        return lookup;
    }
    lookup.where = "the memberOf attribute of " + user.dn;
    const auto found = user.attributes.find("memberof");
    if (found != user.attributes.end())
        lookup.groups = found->second;
    if (lookup.groups.size() > kMaxGroupsPerUser) {
        lookup.groups.resize(kMaxGroupsPerUser);
        lookup.truncated = true;
    }
    return lookup;
}

std::string roleOfGroup(const DirectorySettings& s, const std::string& group)
{
    if (listed(group, s.adminGroups))
        return "admin";
    if (listed(group, s.auditorGroups))
        return "auditor";
    if (listed(group, s.userGroups))
        return "user";
    return {};
}

std::string roleFor(const DirectorySettings& s, const std::vector<std::string>& groups)
{
    for (const auto* role : {"admin", "auditor", "user"})
        for (const auto& group : groups)
            if (roleOfGroup(s, group) == role)
                return role;
    return s.userGroups.empty() ? "user" : "";
}

} // namespace parley::ldap
