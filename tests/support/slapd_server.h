#pragma once

#include "temp_dir.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <sys/types.h>

namespace parley::test {

/// A throwaway OpenLDAP slapd on 127.0.0.1 for tests: its own configuration and database in a
/// temporary directory, a test CA and server certificate, the memberof overlay, and the
/// people, groups and AD-shaped entries of tests/data/ldap. Anonymous reads are refused; the
/// service account is `cn=svc-parley,ou=services,dc=example,dc=org` / `service-secret`.
class SlapdServer
{
public:
    /// Which certificate slapd presents.
    enum class Certificate
    {
        ForLocalhost, ///< names localhost and 127.0.0.1
        ForWrongHost, ///< names only wrong.example, signed by the same CA
    };

    explicit SlapdServer(Certificate certificate = Certificate::ForLocalhost);
    ~SlapdServer();
    SlapdServer(const SlapdServer&) = delete;
    SlapdServer& operator=(const SlapdServer&) = delete;

    std::uint16_t ldapPort() const { return ldapPort_; }
    std::uint16_t ldapsPort() const { return ldapsPort_; }
    std::string ldapUri() const { return "ldap://127.0.0.1:" + std::to_string(ldapPort_); }
    std::string ldapsUri() const { return "ldaps://127.0.0.1:" + std::to_string(ldapsPort_); }
    /// PEM of the CA that signed the server certificate.
    std::filesystem::path caFile() const { return dir_ / "ca.crt"; }

    void stop();
    /// Starts slapd again on the same ports with the same data (after stop()).
    void start();

    static constexpr const char* kBaseDn = "dc=example,dc=org";
    static constexpr const char* kServiceDn = "cn=svc-parley,ou=services,dc=example,dc=org";
    static constexpr const char* kServicePassword = "service-secret";

private:
    void run(const std::string& command) const;

    TempDir dir_;
    std::uint16_t ldapPort_;
    std::uint16_t ldapsPort_;
    pid_t pid_ = -1;
};

} // namespace parley::test
