#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace parley::ldap {

/// DirectorySettings::groupMode values.
/// Read the user entry's memberOf (Active Directory; OpenLDAP with the memberof overlay).
inline constexpr std::string_view kGroupModeMemberOf = "memberof";
/// One search under groupBase with groupFilter for the user's DN (with Active Directory's
/// in-chain rule in the filter, `(member:1.2.840.113556.1.4.1941:={dn})`, AD resolves nesting).
inline constexpr std::string_view kGroupModeSearch = "search";
/// Like search, then Parley searches for the groups of each group found, level by level
/// (nested groups on a directory without an in-chain rule, such as OpenLDAP).
inline constexpr std::string_view kGroupModeNestedSearch = "nested_search";

/// Whether `mode` is one of the group modes above.
inline bool isGroupMode(std::string_view mode)
{
    return mode == kGroupModeMemberOf || mode == kGroupModeSearch || mode == kGroupModeNestedSearch;
}

/// How Parley reaches and reads the organisation's directory (OpenLDAP or Active Directory).
/// docs/ldap.md explains each field with examples for both.
struct DirectorySettings
{
    bool enabled = false;
    /// Tried in order until one answers: `ldaps://host:636` or `ldap://host:389`.
    std::vector<std::string> uris;
    /// `ldap://` URIs use StartTLS unless this is true (a lab without TLS).
    bool allowPlain = false;
    /// PEM bundle of the CAs that may sign the directory's certificate ("" = system CAs).
    std::string caFile;
    /// Check the directory's certificate and host name (off only for a lab).
    bool verifyCertificate = true;
    /// The service account that searches for users.
    std::string bindDn;
    std::string bindPassword;
    std::string userBase;
    /// `{login}` is replaced by the RFC 4515-escaped login name.
    std::string userFilter = "(&(objectClass=inetOrgPerson)(uid={login}))";
    std::string loginAttribute = "uid"; ///< uid, sAMAccountName or userPrincipalName
    std::string displayNameAttribute = "cn";
    std::string mailAttribute = "mail";
    /// "memberof", "search" or "nested_search" (kGroupMode* above).
    std::string groupMode{kGroupModeMemberOf};
    std::string groupBase;
    /// `{dn}` is replaced by the escaped user DN (nested_search: also by each group's DN).
    std::string groupFilter = "(|(member={dn})(uniqueMember={dn}))";
    /// Group DNs whose members get each role; the first match of admin, auditor, user wins.
    /// Empty userGroups: every directory user who is in no other group gets role user.
    std::vector<std::string> adminGroups;
    std::vector<std::string> auditorGroups;
    std::vector<std::string> userGroups;
    std::chrono::seconds networkTimeout{5};
    std::chrono::seconds operationTimeout{10};
};

} // namespace parley::ldap
