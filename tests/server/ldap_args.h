#pragma once

#include "slapd_server.h"

#include <string>
#include <vector>

namespace parley::test {

/// parleyd settings for directory login against `slapd`, its groups mapped to the three roles.
inline std::vector<std::string> ldapArgs(const SlapdServer& slapd)
{
    return {"--set", "ldap.enabled=true",
            "--set", "ldap.uris=" + slapd.ldapUri(),
            "--set", "ldap.ca_file=" + slapd.caFile().string(),
            "--set", std::string("ldap.bind_dn=") + SlapdServer::kServiceDn,
            "--set", std::string("ldap.bind_password=") + SlapdServer::kServicePassword,
            "--set", "ldap.user_base=ou=people,dc=example,dc=org",
            "--set", "ldap.admin_groups=cn=parley-admins,ou=groups,dc=example,dc=org",
            "--set", "ldap.auditor_groups=cn=parley-auditors,ou=groups,dc=example,dc=org",
            "--set", "ldap.user_groups=cn=parley-users,ou=groups,dc=example,dc=org",
            "--set", "ldap.network_timeout_seconds=2",
            "--set", "ldap.operation_timeout_seconds=3"};
}

} // namespace parley::test
