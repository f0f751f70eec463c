#pragma once

#include "slapd_server.h"
#include "temp_dir.h"

#include <parley/ldap/directory_settings.h>

#include <cstdlib>
#include <stdexcept>

namespace parley::test {

/// Adds the entries of `ldif` to the running `slapd` as its root DN (so that the memberof
/// overlay keeps memberOf up to date, as for the standard entries).
inline void addEntries(const SlapdServer& slapd, const std::string& ldif)
{
    TempDir dir;
    writeFile(dir / "add.ldif", ldif);
    const auto command = "ldapmodify -a -x -H " + slapd.ldapUri() +
                         " -D cn=admin,dc=example,dc=org -w admin-secret -f " + (dir / "add.ldif").string() +
                         " > " + (dir / "out.log").string() + " 2>&1";
    if (std::system(command.c_str()) != 0)
        throw std::runtime_error("adding test entries failed:\n" + readFile(dir / "out.log"));
}

/// Settings for the test slapd's OpenLDAP-shaped people and groups, over StartTLS.
inline ldap::DirectorySettings openLdapSettings(const SlapdServer& slapd)
{
    ldap::DirectorySettings s;
    s.enabled = true;
    s.uris = {slapd.ldapUri()};
    s.caFile = slapd.caFile().string();
    s.bindDn = SlapdServer::kServiceDn;
    s.bindPassword = SlapdServer::kServicePassword;
    s.userBase = "ou=people,dc=example,dc=org";
    s.userFilter = "(&(objectClass=inetOrgPerson)(uid={login}))";
    s.adminGroups = {"cn=parley-admins,ou=groups,dc=example,dc=org"};
    s.auditorGroups = {"cn=parley-auditors,ou=groups,dc=example,dc=org"};
    s.userGroups = {"cn=parley-users,ou=groups,dc=example,dc=org"};
    s.networkTimeout = std::chrono::seconds(2);
    s.operationTimeout = std::chrono::seconds(3);
    return s;
}

/// Settings for the AD-shaped entries under ou=corp (sAMAccountName, memberOf,
/// userAccountControl), over LDAPS.
inline ldap::DirectorySettings activeDirectorySettings(const SlapdServer& slapd)
{
    auto s = openLdapSettings(slapd);
    s.uris = {slapd.ldapsUri()};
    s.userBase = "ou=corp,dc=example,dc=org";
    s.userFilter = "(&(objectClass=parleyTestADUser)(sAMAccountName={login}))";
    s.loginAttribute = "sAMAccountName";
    s.displayNameAttribute = "displayName";
    return s;
}

} // namespace parley::test
