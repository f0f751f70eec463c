#pragma once

#include "directory_connection.h"

#include <parley/ldap/directory_settings.h>

#include <string>
#include <vector>

namespace parley::ldap {

/// A user's groups as the configured group mode finds them.
struct GroupLookup
{
    std::vector<std::string> groups; ///< DNs: the user's own groups first, then enclosing ones
    bool deeperNotFollowed = false;  ///< nested_search: there were groups beyond kMaxGroupNestingDepth
    bool truncated = false;          ///< more than kMaxGroupsPerUser groups; the rest were not read
    std::string where;               ///< where they were looked for, in an admin's words
};

/// Reads the groups of `user` (an entry read with the memberOf attribute) by `s.groupMode`:
/// memberOf, one group search, or (nested_search) group searches level by level up to
/// kMaxGroupNestingDepth, each group read once however the groups loop. Throws DirectoryError.
GroupLookup lookUpGroups(DirectoryConnection& service, const DirectorySettings& s, const Entry& user);

/// The role `group` maps to ("admin", "auditor", "user"), or "" when it is in none of the lists.
std::string roleOfGroup(const DirectorySettings& s, const std::string& group);

/// The role of a member of `groups`: the first match of admin, auditor, user; "user" for
/// anyone when userGroups is empty; "" when no group maps to a role.
std::string roleFor(const DirectorySettings& s, const std::vector<std::string>& groups);

} // namespace parley::ldap
