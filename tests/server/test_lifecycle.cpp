// Start-up, configuration errors, restart and shutdown of the real parleyd process.
#include "parleyd_process.h"
#include "tls_client.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include <catch2/catch.hpp>

#include <csignal>
#include <thread>

using Catch::Contains;
using parley::test::ParleydProcess;
using parley::test::RunningServer;
using parley::test::runParleyd;
using parley::test::TempDir;

namespace {
constexpr int kExitConfig = 78;
constexpr int kExitDataError = 65;
constexpr int kExitOsError = 71;

/// Arguments for a parleyd on `port` (0: a free port it picks itself, see servingPort()).
std::vector<std::string> serverArgs(const TempDir& dir, std::uint16_t port)
{
    return {"--set", "server.data_dir=" + (dir / "data").string(), "--set",
            "server.port=" + std::to_string(port)};
}
} // namespace

TEST_CASE("An unknown key in the configuration file stops start-up, naming key and line")
{
    TempDir dir;
    parley::test::writeFile(dir / "parley.ini", "[server]\nport = 9443\nlisten_adress = 0.0.0.0\n");
    const auto run = runParleyd({"--config", (dir / "parley.ini").string()}, dir.path());
    CHECK(run.exitCode == kExitConfig);
    CHECK_THAT(run.output, Contains("unknown configuration key 'server.listen_adress'") &&
                               Contains("parley.ini:3") &&
                               Contains("did you mean 'server.listen_address'"));
    CHECK_FALSE(std::filesystem::exists(dir / "parley-data")); // nothing was created
}

TEST_CASE("An invalid value on the command line stops start-up with the expected form")
{
    TempDir dir;
    const auto run = runParleyd({"--set", "server.port=eighty"}, dir.path());
    CHECK(run.exitCode == kExitConfig);
    CHECK_THAT(run.output, Contains("'server.port' has invalid value 'eighty'") &&
                               Contains("an integer from 0 to 65535"));
    const auto level = runParleyd({"--set=log.level=loud"}, dir.path());
    CHECK(level.exitCode == kExitConfig);
    CHECK_THAT(level.output, Contains("'log.level'") && Contains("one of fatal"));
}

TEST_CASE("Unknown options and stray arguments are usage errors")
{
    TempDir dir;
    const auto option = runParleyd({"--no-such-option"}, dir.path());
    CHECK(option.exitCode != 0);
    CHECK_THAT(option.output, Contains("no-such-option"));
    const auto stray = runParleyd({"server.port=1"}, dir.path());
    CHECK(stray.exitCode == 64);
    CHECK_THAT(stray.output, Contains("--set section.key=value"));
}

TEST_CASE("Checking the configuration with --check-config validates and prints the effective configuration")
{
    TempDir dir;
    const auto run = runParleyd({"--check-config", "--set", "server.port=9999"}, dir.path());
    CHECK(run.exitCode == 0);
    CHECK_THAT(run.output, Contains("server.port = 9999") && Contains("configuration OK"));
}

TEST_CASE("A certificate with someone else's key stops start-up, naming the files")
{
    TempDir dir;
    const auto keys = dir / "keys";
    std::filesystem::create_directories(keys);
    const auto make = [&](const std::string& name) {
        const auto command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                             "-days 2 -subj /CN=localhost -keyout " + (keys / (name + ".key")).string() +
                             " -out " + (keys / (name + ".crt")).string() + " 2>/dev/null";
        REQUIRE(std::system(command.c_str()) == 0);
    };
    make("a");
    make("b");
    const auto run = runParleyd({"--set", "server.port=0",
                                 "--set", "tls.certificate=" + (keys / "a.crt").string(), "--set",
                                 "tls.private_key=" + (keys / "b.key").string()},
                                dir.path());
    CHECK(run.exitCode == kExitConfig);
    CHECK_THAT(run.output, Contains("does not belong to certificate") && Contains("a.crt"));
}

TEST_CASE("A port already in use stops start-up with a clear message")
{
    RunningServer first;
    TempDir dir;
    const auto run = runParleyd(serverArgs(dir, first.port()), dir.path());
    CHECK(run.exitCode == kExitOsError);
    CHECK_THAT(run.output, Contains("cannot listen on 127.0.0.1 port " + std::to_string(first.port())) &&
                               Contains("server.port"));
}

TEST_CASE("The generated certificate is kept and reused across restarts")
{
    TempDir dir;
    std::string firstFingerprint;
    {
        ParleydProcess process(serverArgs(dir, 0), dir.path());
        const auto port = process.servingPort();
    REQUIRE(port != 0);
        firstFingerprint = parley::test::TlsClient(port).peerFingerprint();
        CHECK_THAT(process.output(), Contains(firstFingerprint)); // the banner shows it
        process.signal(SIGTERM);
        REQUIRE(process.waitForExit() == 0);
    }
    const auto certificate = dir / "data" / "tls" / "selfsigned.crt";
    const auto written = std::filesystem::last_write_time(certificate);
    ParleydProcess again(serverArgs(dir, 0), dir.path());
    const auto port = again.servingPort();
    REQUIRE(port != 0);
    CHECK(parley::test::TlsClient(port).peerFingerprint() == firstFingerprint);
    CHECK(std::filesystem::last_write_time(certificate) == written);
}

TEST_CASE("SIGTERM refuses new connections but answers the request in progress, then exits 0")
{
    TempDir dir;
    ParleydProcess process(serverArgs(dir, 0), dir.path());
    const auto port = process.servingPort();
    REQUIRE(port != 0);

    parley::test::TlsClient inFlight(port);
    inFlight.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n"); // headers not finished
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    process.signal(SIGTERM);

    // New connections are refused while the old request is still open.
    bool refused = false;
    for (int i = 0; i < 100 && !refused; ++i) {
        refused = !parley::test::portAcceptsConnections(port);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(refused);
    CHECK(process.running());

    inFlight.write("\r\n");
    const auto response = parley::test::parseHttpResponse(inFlight.readResponse());
    CHECK(response.status == 200);
    CHECK(process.waitForExit() == 0);
    CHECK_THAT(process.output(), Contains("parleyd stopped"));
}

TEST_CASE("SIGINT shuts down cleanly too, closing idle keep-alive connections")
{
    TempDir dir;
    ParleydProcess process(serverArgs(dir, 0), dir.path());
    const auto port = process.servingPort();
    REQUIRE(port != 0);
    parley::test::TlsClient idle(port);
    idle.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    REQUIRE(parley::test::parseHttpResponse(idle.readResponse()).status == 200);

    const auto started = std::chrono::steady_clock::now();
    process.signal(SIGINT);
    CHECK(process.waitForExit() == 0);
    // The idle connection did not hold shutdown for its keep-alive timeout.
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
}

TEST_CASE("A database file that is not SQLite stops start-up and is left untouched")
{
    TempDir dir;
    std::filesystem::create_directories(dir / "data");
    const std::string content = "not a database, but somebody's data\n" + std::string(5000, '#');
    parley::test::writeFile(dir / "data" / "parley.db", content);
    const auto run = runParleyd(serverArgs(dir, 0), dir.path());
    CHECK(run.exitCode == kExitDataError);
    CHECK_THAT(run.output, Contains("parley.db"));
    CHECK(parley::test::readFile(dir / "data" / "parley.db") == content);
}

TEST_CASE("A database from a newer Parley stops start-up unchanged")
{
    TempDir dir;
    {
        ParleydProcess process(serverArgs(dir, 0), dir.path());
        const auto port = process.servingPort();
    REQUIRE(port != 0);
        process.signal(SIGTERM);
        REQUIRE(process.waitForExit() == 0);
    }
    Poco::Data::SQLite::Connector::registerConnector();
    {
        Poco::Data::Session session("SQLite", (dir / "data" / "parley.db").string());
        session << "INSERT INTO schema_migrations VALUES (999, 'future', 'x')",
            Poco::Data::Keywords::now;
    }
    const auto run = runParleyd(serverArgs(dir, 0), dir.path());
    CHECK(run.exitCode == kExitDataError);
    CHECK_THAT(run.output, Contains("schema version 999 is newer than this build"));
    Poco::Data::Session session("SQLite", (dir / "data" / "parley.db").string());
    int rows = 0;
    session << "SELECT count(*) FROM schema_migrations WHERE version = 999",
        Poco::Data::Keywords::into(rows), Poco::Data::Keywords::now;
    CHECK(rows == 1);
}

TEST_CASE("The data directory and its files are private to the server's user")
{
    RunningServer server;
    using std::filesystem::perms;
    const auto mode = [](const std::filesystem::path& p) {
        return std::filesystem::status(p).permissions() & perms::all;
    };
    CHECK(mode(server.dataDir()) == perms::owner_all);
    CHECK((mode(server.dataDir() / "parley.db") & (perms::group_all | perms::others_all)) == perms::none);
    CHECK((mode(server.dataDir() / "tls" / "selfsigned.key") & (perms::group_all | perms::others_all)) ==
          perms::none);
}
