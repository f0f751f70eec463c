#include "slapd_server.h"

#include "child_process.h"
#include "tls_client.h"

#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <vector>

namespace parley::test {
namespace {

const std::string kData = std::string(PARLEY_SOURCE_DIR) + "/tests/data/ldap";

std::string slapdConf(const std::filesystem::path& dir)
{
    const auto d = dir.string();
    return "include /etc/ldap/schema/core.schema\n"
           "include /etc/ldap/schema/cosine.schema\n"
           "include /etc/ldap/schema/inetorgperson.schema\n"
           "include " + kData + "/ad_shaped.schema\n"
           "modulepath /usr/lib/ldap\n"
           "moduleload back_mdb\n"
           "moduleload memberof\n"
           "pidfile " + d + "/slapd.pid\n"
           "TLSCACertificateFile " + d + "/ca.crt\n"
           "TLSCertificateFile " + d + "/server.crt\n"
           "TLSCertificateKeyFile " + d + "/server.key\n"
           "database mdb\n"
           "maxsize 10485760\n"
           "suffix \"dc=example,dc=org\"\n"
           "rootdn \"cn=admin,dc=example,dc=org\"\n"
           "rootpw admin-secret\n"
           "directory " + d + "/db\n"
           "access to attrs=userPassword by anonymous auth by self read by * none\n"
           "access to * by users read by * none\n"
           "overlay memberof\n"
           "memberof-refint TRUE\n";
}

} // namespace

void SlapdServer::run(const std::string& command) const
{
    const auto full = "cd " + dir_.path().string() + " && (" + command + ") >> setup.log 2>&1";
    if (std::system(full.c_str()) != 0)
        throw std::runtime_error("slapd test setup failed: " + command + "\n" +
                                 readFile(dir_ / "setup.log"));
}

SlapdServer::SlapdServer(Certificate certificate)
    : ldapPort_(freePort()), ldapsPort_(freePort())
{
    while (ldapsPort_ == ldapPort_)
        ldapsPort_ = freePort();
    std::filesystem::create_directories(dir_ / "db");

    const std::string names = certificate == Certificate::ForLocalhost
                                  ? "subjectAltName=DNS:localhost,IP:127.0.0.1"
                                  : "subjectAltName=DNS:wrong.example";
    const std::string commonName = certificate == Certificate::ForLocalhost ? "localhost" : "wrong.example";
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
        "-subj '/CN=Parley Test CA' -keyout ca.key -out ca.crt");
    run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=" + commonName +
        "' -keyout server.key -out server.csr");
    writeFile(dir_ / "server.ext", names + "\n");
    run("openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 "
        "-extfile server.ext -out server.crt");
    writeFile(dir_ / "slapd.conf", slapdConf(dir_.path()));
    run("slapadd -f slapd.conf -l " + kData + "/base.ldif");

    // The ports were free a moment ago; a parallel test may have taken one since.
    for (int attempt = 1;; ++attempt) {
        try {
            start();
            break;
        }
        catch (const std::runtime_error&) {
            stop();
            if (attempt == 3)
                throw;
            ldapPort_ = freePort();
            ldapsPort_ = freePort();
        }
    }
    run("ldapadd -x -H " + ldapUri() + " -D cn=admin,dc=example,dc=org -w admin-secret -f " + kData +
        "/entries.ldif");
}

void SlapdServer::start()
{
    if (pid_ > 0)
        return;
    const std::string urls = ldapUri() + "/ " + ldapsUri() + "/";
    pid_ = spawnProcess({"/usr/sbin/slapd", "-d", "0", "-f", (dir_ / "slapd.conf").string(), "-h", urls},
                        dir_ / "slapd.log");
    for (int i = 0; i < 200 && !portAcceptsConnections(ldapPort_); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    // A port another test took in the meantime answers too, but our slapd has then exited.
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("slapd exited at start:\n" + readFile(dir_ / "slapd.log"));
    }
    if (!portAcceptsConnections(ldapPort_))
        throw std::runtime_error("slapd did not start:\n" + readFile(dir_ / "slapd.log"));
}

SlapdServer::~SlapdServer()
{
    stop();
}

void SlapdServer::stop()
{
    if (pid_ <= 0)
        return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

} // namespace parley::test
