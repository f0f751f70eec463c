// parleyctl, offline on the database and online through the running server.
#include "account_fixture.h"

using namespace parley::test;
using Catch::Contains;

namespace {

std::string generatedPassword(const std::string& output)
{
    const std::string marker = "(shown only now): ";
    const auto at = output.find(marker);
    if (at == std::string::npos)
        return {};
    const auto start = at + marker.size();
    return output.substr(start, output.find('\n', start) - start);
}

} // namespace

TEST_CASE("parleyctl creates the first admin with a generated password shown once")
{
    TempDir dir;
    const auto dataDir = dir / "data";
    const auto created = runParleyctl(ctlArgs(dataDir) + " user create-admin Root --generate-password");
    REQUIRE(created.exitCode == 0);
    const auto password = generatedPassword(created.output);
    CHECK(password.size() == 24);
    const auto listed = runParleyctl(ctlArgs(dataDir) + " user list");
    CHECK_THAT(listed.output, Contains("root") && Contains("admin") && Contains("enabled"));

    RunningServer server(fastAccounts({"--set", "server.data_dir=" + dataDir.string()}));
    ApiClient admin(server.port());
    REQUIRE(admin.login("root", password).status == 200);
    const auto audit = json(admin.call("GET", "/api/v1/audit?action=user.create").body)->getArray("entries");
    REQUIRE(audit->size() == 1);
    CHECK_THAT(audit->getObject(0)->getValue<std::string>("actor"), Contains("parleyctl:"));
    // The password is nowhere in the database or the log.
    CHECK(readFile(dataDir / "parley.db").find(password) == std::string::npos);
}

TEST_CASE("parleyctl refuses weak passwords, duplicates and unknown commands with clear messages")
{
    TempDir dir;
    const auto dataDir = dir / "data";
    const auto weak = runParleyctl(ctlArgs(dataDir) + " user create-admin admin", "short");
    CHECK(weak.exitCode == 1);
    CHECK_THAT(weak.output, Contains("at least 8 characters"));
    REQUIRE(runParleyctl(ctlArgs(dataDir) + " user create-admin admin", kAdminPassword).exitCode == 0);
    const auto duplicate = runParleyctl(ctlArgs(dataDir) + " user create-admin ADMIN", kAdminPassword);
    CHECK(duplicate.exitCode == 1);
    CHECK_THAT(duplicate.output, Contains("already exists"));
    CHECK(runParleyctl(ctlArgs(dataDir) + " user frobnicate").exitCode == 64);
    const auto missing = runParleyctl(ctlArgs(dataDir) + " user reset-password nobody", "whatever-pass");
    CHECK(missing.exitCode == 1);
    CHECK_THAT(missing.output, Contains("no user named 'nobody'"));
    const auto badConfig = runParleyctl("--set server.prot=1 user list");
    CHECK(badConfig.exitCode == 78);
}

TEST_CASE("parleyctl resets a password offline and ends the user's sessions")
{
    ServerWithAdmin server;
    auto admin = server.admin();
    const auto reset = runParleyctl(ctlArgs(server.server().dataDir()) + " user reset-password admin",
                                    "reset-offline-pw");
    REQUIRE(reset.exitCode == 0);
    CHECK(admin.call("GET", "/api/v1/auth/session").status == 401);
    ApiClient again(server.port());
    CHECK(again.login("admin", "reset-offline-pw").status == 200);
}

TEST_CASE("parleyctl works through the running server as an admin, checking its certificate")
{
    ServerWithAdmin server;
    const auto online = "--server https://127.0.0.1:" + std::to_string(server.port()) +
                        " --user admin --ca-file " +
                        (server.server().dataDir() / "tls" / "selfsigned.crt").string();
    const auto created = runParleyctl(online + " user create-admin second", std::string(kAdminPassword) + "\nsecond-password\n");
    REQUIRE(created.exitCode == 0);
    CHECK_THAT(created.output, Contains("Created admin second"));
    CHECK_THAT(runParleyctl(online + " user list", kAdminPassword).output, Contains("second"));
    CHECK(runParleyctl(online + " user reset-password second", std::string(kAdminPassword) + "\nthird-password\n").exitCode == 0);
    ApiClient second(server.port());
    CHECK(second.login("second", "third-password").status == 200);
    CHECK_THAT(runParleyctl(online + " audit verify", kAdminPassword).output, Contains("audit log intact"));

    // The server recorded the admin, not parleyctl, as the actor.
    auto admin = server.admin();
    const auto audit = json(admin.call("GET", "/api/v1/audit?action=user.create&actor=admin").body);
    CHECK(audit->getValue<int>("total") == 1);

    const auto wrongPassword = runParleyctl(online + " user list", "not-the-password");
    CHECK(wrongPassword.exitCode == 1);
    CHECK_THAT(wrongPassword.output, Contains("wrong username or password"));

    // Another installation's certificate: the connection is refused, nothing is sent.
    TempDir other;
    const auto otherCert = other / "other.crt";
    REQUIRE(std::system(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
                         "-subj /CN=localhost -keyout " + (other / "k").string() + " -out " +
                         otherCert.string() + " 2>/dev/null").c_str()) == 0);
    const auto untrusted = runParleyctl("--server https://127.0.0.1:" + std::to_string(server.port()) +
                                            " --user admin --ca-file " + otherCert.string() + " user list",
                                        kAdminPassword);
    CHECK(untrusted.exitCode == 69);
    CHECK_THAT(untrusted.output, Contains("certificate verify failed"));
}

TEST_CASE("parleyctl's questions for the package's scripts answer without changing anything")
{
    TempDir dir;
    const auto dataDir = dir / "data";
    std::filesystem::create_directories(dataDir);

    // No database yet: schema 0, and none is created by asking.
    auto schema = runParleyctl(ctlArgs(dataDir) + " database schema");
    CHECK(schema.exitCode == 0);
    CHECK_THAT(schema.output, Contains("database 0\n"));
    CHECK_FALSE(std::filesystem::exists(dataDir / "parley.db"));
    auto fingerprint = runParleyctl(ctlArgs(dataDir) + " tls fingerprint");
    CHECK(fingerprint.exitCode == 1);
    CHECK_THAT(fingerprint.output, Contains("no certificate yet"));
    auto bootKey = runParleyctl(ctlArgs(dataDir) + " volume boot-key");
    CHECK(bootKey.exitCode == 1);
    CHECK_THAT(bootKey.output, Contains("volume.key_file is not set"));

    RunningServer server;
    const auto serverData = server.dataDir();
    schema = runParleyctl(ctlArgs(serverData) + " database schema");
    CHECK(schema.exitCode == 0);
    // The database parleyd made is at the newest schema this parleyctl knows.
    const auto known = schema.output.substr(schema.output.find("parleyctl ") + 10);
    CHECK_THAT(schema.output, Contains("database " + known.substr(0, known.find('\n')) + "\n"));
    CHECK(known.substr(0, known.find('\n')) != "0");
    // The fingerprint is the one the server prints and presents.
    fingerprint = runParleyctl(ctlArgs(serverData) + " tls fingerprint");
    CHECK(fingerprint.exitCode == 0);
    CHECK_THAT(server.process().output(), Contains("SHA-256 fingerprint: " + fingerprint.output.substr(0, fingerprint.output.find('\n'))));
}
