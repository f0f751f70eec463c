// GET /metrics through the real server: only for the scraper's bearer token, the series an
// operator watches, and not one personal detail of the meeting or the login it counts.
#include "eventually.h"
#include "media_fixture.h"
#include "metrics_fixture.h"
#include "named_meeting_fixture.h"
#include "ldap_args.h"

#include "child_process.h"
#include "temp_dir.h"

#include <sys/wait.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

using namespace parley::test;
using namespace std::chrono_literals;
using Catch::Contains;


TEST_CASE("GET /metrics answers only the scraper's bearer token, made and revoked with parleyctl")
{
    ServerWithAdmin server;
    const auto port = server.port();
    auto admin = server.admin();

    // No token exists yet: nobody is answered, not even a signed-in admin.
    auto refused = scrape(port, "");
    CHECK(refused.status == 401);
    CHECK(refused.header("www-authenticate") == "Bearer realm=\"parley metrics\"");
    CHECK_THAT(refused.body, Contains("parleyctl metrics create-token"));
    // Nor is any session: an admin's, a user's or an auditor's cookie is no token.
    auto user = server.userWithRole("plain", "user");
    auto auditor = server.userWithRole("reader", "auditor");
    for (const auto* client : {&admin, &user, &auditor})
        CHECK(httpsRequest(port, "GET", "/metrics", {}, "Cookie: __Host-parley_session=" + client->cookie() + "\r\n")
                  .status == 401);
    CHECK(scrape(port, "Bearer ").status == 401);

    const auto token = createToken(server.server().dataDir());
    // The token itself is stored nowhere: only its SHA-256.
    const auto ok = scrape(port, "Bearer " + token);
    REQUIRE(ok.status == 200);
    CHECK(ok.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
    CHECK_THAT(ok.body, Contains("# TYPE parley_router_packets_forwarded_total counter"));
    CHECK(scrape(port, "bearer " + token).status == 200); // the scheme is case-insensitive

    // Everything else is refused with 401, never a 500, and counted by reason.
    const std::string hostile[] = {
        "Bearer " + token.substr(0, 42),
        "Bearer " + token + "x",
        "Basic " + token,
        token,
        "Bearer " + std::string(4000, 'A'),
        "Bearer \xff\xfe\x00garbage",
        "Bearer " + token.substr(0, 20) + " " + token.substr(20),
    };
    for (const auto& authorization : hostile)
        CHECK(scrape(port, authorization).status == 401);
    CHECK(scrape(port, "").status == 401);
    const auto counted = scrape(port, "Bearer " + token).body;
    CHECK(valueOf(counted, R"(parley_metrics_refusals_total{reason="wrong_token"})") >= 4);
    CHECK(valueOf(counted, R"(parley_metrics_refusals_total{reason="missing_token"})") >= 3);
    CHECK(valueOf(counted, R"(parley_metrics_refusals_total{reason="no_token_configured"})") == 5);
    CHECK(valueOf(counted, R"(parley_http_requests_total{route="/metrics",method="GET",status="401"})") >= 10);

    // Refusals are audited like other denied requests.
    const auto audit = json(admin.call("GET", "/api/v1/audit?action=access.denied&per_page=100").body);
    const auto entries = audit->getArray("entries");
    REQUIRE(entries->size() > 0);
    CHECK(entries->getObject(0)->getValue<std::string>("target") == "GET /metrics");
    CHECK(json(admin.call("GET", "/api/v1/audit?action=metrics.token_create").body)->getValue<int>("total") == 1);

    // A new token replaces the old one at once; a revoked one answers nobody.
    const auto second = createToken(server.server().dataDir());
    CHECK(scrape(port, "Bearer " + token).status == 401);
    CHECK(scrape(port, "Bearer " + second).status == 200);
    const auto revoked = runParleyctl(ctlArgs(server.server().dataDir()) + " metrics revoke-token");
    CHECK(revoked.exitCode == 0);
    CHECK(scrape(port, "Bearer " + second).status == 401);
    CHECK(runParleyctl(ctlArgs(server.server().dataDir()) + " metrics revoke-token").exitCode == 1);
    CHECK(json(admin.call("GET", "/api/v1/audit?action=metrics.token_revoke").body)->getValue<int>("total") == 1);
}

TEST_CASE("A meeting and a directory login show in /metrics as counts only, never a name, address, title or link")
{
    SlapdServer slapd;
    SignalingServer server(ldapArgs(slapd));
    const auto port = server.port();
    const auto token = createToken(server.server().dataDir());

    NamedMeeting named(server);
    const auto& meeting = named.meeting;
    Attendee& host = *named.host;
    Attendee& guest = *named.guest;
    const auto now = std::chrono::system_clock::now();
    auto admin = server.admin();
    for (int i = 0; i < 30; ++i)
        reaches(host, 1111, guest, 1);
    REQUIRE(named.zinnia.call("GET", "/api/v1/rooms/" + std::to_string(meeting.id)).status == 200);
    std::this_thread::sleep_for(1200ms); // the router folds its byte totals in once a second

    const auto response = scrape(port, "Bearer " + token);
    REQUIRE(response.status == 200);
    const auto& text = response.body;

    // What an operator needs is there.
    CHECK(valueOf(text, "parley_live_meetings") == 1);
    CHECK(valueOf(text, R"(parley_participants{state="present"})") == 2);
    CHECK(valueOf(text, "parley_router_packets_forwarded_total") >= 30);
    CHECK(valueOf(text, "parley_router_received_bytes_total") > 0);
    CHECK(valueOf(text, "parley_router_sent_bytes_total") > 0);
    CHECK(valueOf(text, "parley_signaling_connections") == 2);
    CHECK(valueOf(text, R"(parley_logins_total{source="ldap",result="success",reason=""})") == 1);
    CHECK(valueOf(text, R"(parley_logins_total{source="ldap",result="failure",reason="ldap_wrong_password"})") == 1);
    CHECK(valueOf(text, R"(parley_directory_request_duration_seconds_count{operation="login"})") == 2);
    CHECK(valueOf(text, R"(parley_http_requests_total{route="/api/v1/rooms/{id}",method="GET",status="200"})") == 1);
    // Each handshake is counted once answered, while its connection stays open.
    CHECK(valueOf(text, R"(parley_http_requests_total{route="/ws",method="GET",status="101"})") == 2);
    CHECK(valueOf(text, "parley_tls_certificate_expiry_timestamp_seconds") >
          std::chrono::duration<double>(now.time_since_epoch()).count());
    CHECK(valueOf(text, R"(parley_build_info{version=")" PARLEY_VERSION_TEXT R"("})") == 1);

    // The admin overview reads the same sources and says the same.
    const auto overview = json(admin.call("GET", "/api/v1/admin/overview").body);
    CHECK(overview->getValue<double>("liveMeetings") == valueOf(text, "parley_live_meetings"));
    CHECK(overview->getValue<double>("participants") == valueOf(text, R"(parley_participants{state="present"})"));
    CHECK(overview->getObject("recordings")->getValue<double>("running") ==
          valueOf(text, R"(parley_recordings{state="recording"})"));

    // Not one personal detail, anywhere in the output.
    auto personal = named.personalDetails();
    personal.insert(personal.end(), {host.id, guest.id, "127.0.0.1"});
    for (const auto& detail : personal) {
        INFO("looking for '" << detail << "'");
        CHECK(text.find(detail) == std::string::npos);
    }
}

namespace {

/// A Prometheus server (Debian's package) in a directory of its own, killed at the end.
class PrometheusServer
{
public:
    PrometheusServer(const std::filesystem::path& dir, const std::string& config)
        : port_(freePort())
    {
        std::ofstream(dir / "prometheus.yml") << config;
        pid_ = spawnProcess({"/usr/bin/prometheus", "--config.file=" + (dir / "prometheus.yml").string(),
                             "--storage.tsdb.path=" + (dir / "data").string(),
                             "--web.listen-address=127.0.0.1:" + std::to_string(port_)},
                            dir / "prometheus.log");
    }
    ~PrometheusServer()
    {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    PrometheusServer(const PrometheusServer&) = delete;
    PrometheusServer& operator=(const PrometheusServer&) = delete;

    /// The result vector of an instant PromQL query through the HTTP API (empty if Prometheus
    /// does not answer yet).
    Poco::JSON::Array::Ptr query(const std::string& promql)
    {
        try {
            Poco::Net::HTTPClientSession session("127.0.0.1", port_);
            std::string target = "/api/v1/query?query=";
            Poco::URI::encode(promql, "&=+ ", target);
            Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, target);
            session.sendRequest(request);
            Poco::Net::HTTPResponse response;
            std::stringstream body;
            Poco::StreamCopier::copyStream(session.receiveResponse(response), body);
            if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK)
                return new Poco::JSON::Array;
            return json(body.str())->getObject("data")->getArray("result");
        }
        catch (const Poco::Exception&) {
            return new Poco::JSON::Array;
        }
    }

    /// The value of the first series `promql` returns, or nullopt.
    std::optional<double> value(const std::string& promql)
    {
        const auto result = query(promql);
        if (result->size() == 0)
            return std::nullopt;
        return std::stod(result->getObject(0)->getArray("value")->getElement<std::string>(1));
    }

private:
    std::uint16_t port_;
    pid_t pid_;
};

} // namespace

TEST_CASE("promtool check metrics accepts a real scrape, and the monitoring files name only series parleyd exports")
{
    REQUIRE(std::filesystem::exists("/usr/bin/promtool")); // apt-get install prometheus (bootstrap)
    SlapdServer slapd;
    SignalingServer server(ldapArgs(slapd));
    const auto token = createToken(server.server().dataDir());
    ApiClient alice(server.port());
    REQUIRE(alice.login("alice", "alice-password").status == 200);
    // A backup made, so its series are written too (none before the first).
    TempDir dir;
    const auto dataDir = server.server().dataDir();
    REQUIRE(runParleyctl("backup create-key " + (dir / "backup.key").string()).exitCode == 0);
    REQUIRE(runParleyctl(ctlArgs(dataDir) + " backup create --to " + dir.path().string() + " --key-file " +
                         (dir / "backup.key").string())
                .exitCode == 0);
    const auto scraped = scrape(server.port(), "Bearer " + token);
    REQUIRE(scraped.status == 200);
    CHECK(valueOf(scraped.body, "parley_backup_successes_total") == 1);

    std::ofstream(dir.path() / "scrape.txt") << scraped.body;
    const auto checked = shellOutput("promtool check metrics < " + (dir.path() / "scrape.txt").string() +
                                     " 2>&1; echo exit=$?");
    INFO(checked);
    CHECK_THAT(checked, Contains("exit=0"));

    // Every parley_* name in the alert rules and the dashboard is a family this server
    // writes (or one written only in a state the test server is not in: an unlocked volume,
    // a directory checked).
    std::set<std::string> families;
    std::istringstream lines(scraped.body);
    for (std::string line; std::getline(lines, line);)
        if (line.starts_with("# TYPE "))
            families.insert(line.substr(7, line.find(' ', 7) - 7));
    const std::set<std::string> conditional{"parley_volume_free_bytes", "parley_volume_size_bytes",
                                            "parley_directory_up", "parley_directory_last_check_timestamp_seconds"};
    for (const auto* file : {"parley-alerts.yml", "grafana-dashboard.json"}) {
        std::ifstream in(std::filesystem::path(PARLEY_SOURCE_DIR) / "installer/monitoring" / file);
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        REQUIRE(!text.empty());
        const std::regex name("parley_[a-z_]+");
        for (auto it = std::sregex_iterator(text.begin(), text.end(), name); it != std::sregex_iterator(); ++it) {
            auto metric = it->str();
            for (const auto* suffix : {"_bucket", "_sum", "_count"})
                if (metric.ends_with(suffix) && !families.contains(metric))
                    metric.resize(metric.size() - std::string(suffix).size());
            INFO(file << " names " << it->str());
            CHECK((families.contains(metric) || conditional.contains(metric)));
        }
    }
}

TEST_CASE("A real Prometheus scrapes parleyd with the token, sees the forwarded packets rise during a meeting, and fires the volume-locked and backup alerts")
{
    REQUIRE(std::filesystem::exists("/usr/bin/prometheus")); // apt-get install prometheus (bootstrap)
    SignalingServer server;
    const auto port = server.port();
    TempDir dir;
    std::ofstream(dir.path() / "token") << createToken(server.server().dataDir()) << "\n";
    // The shipped rules, with the volume-locked alert's 2 minutes of patience cut to 5 seconds
    // (parley-alerts.test.yml checks the 2 minutes with promtool).
    auto rules = readFile(std::filesystem::path(PARLEY_SOURCE_DIR) / "installer/monitoring/parley-alerts.yml");
    const auto locked = rules.find("for: 2m", rules.find("alert: ParleyVolumeLocked"));
    REQUIRE(locked != std::string::npos);
    rules.replace(locked, 7, "for: 5s");
    std::ofstream(dir.path() / "parley-alerts.yml") << rules;
    // A backup that failed (the share is not there): its alert fires at once.
    const auto dataDir = server.server().dataDir();
    REQUIRE(runParleyctl("backup create-key " + (dir / "backup.key").string()).exitCode == 0);
    REQUIRE(runParleyctl(ctlArgs(dataDir) + " backup create --to " + (dir / "unmounted").string() + " --key-file " +
                         (dir / "backup.key").string())
                .exitCode == 1);
    // The shipped example, pointed at this server, scraping every second.
    PrometheusServer prometheus(dir.path(), R"(global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - )" + (dir.path() / "parley-alerts.yml").string() + R"(
scrape_configs:
  - job_name: parley
    scheme: https
    authorization:
      type: Bearer
      credentials_file: )" + (dir.path() / "token").string() + R"(
    tls_config:
      ca_file: )" + (server.server().dataDir() / "tls" / "selfsigned.crt").string() + R"(
    static_configs:
      - targets: ["127.0.0.1:)" + std::to_string(port) + R"("]
)");
    REQUIRE(eventually([&] { return prometheus.value(R"(up{job="parley"})") == 1.0; }, 30s, 250ms));
    const auto before = prometheus.value("parley_router_packets_forwarded_total");
    REQUIRE(before);

    // A meeting: the owner and a guest send each other audio for a few seconds.
    const auto now = std::chrono::system_clock::now();
    const auto meeting = roomFrom(server.owner.call(
        "POST", "/api/v1/rooms",
        R"({"title":"Scraped","startsAt":")" + isoTime(now) + R"(","endsAt":")" + isoTime(now + 2h) +
            R"(","waitingRoom":false})"));
    Attendee owner(std::make_unique<WsClient>(port, sessionCookie(server.owner)), R"("link":")" + meeting.link + "\"",
                   "owner");
    Attendee guest(std::make_unique<WsClient>(port), guestJoin(meeting, "Guest"), "guest");
    connectAudioBothWays(owner, 1111, guest, 2222);
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < 3s) {
        reaches(owner, 1111, guest, 1);
        reaches(guest, 2222, owner, 1);
    }
    CHECK(eventually([&] { return prometheus.value("parley_router_packets_forwarded_total") >= *before + 20; }, 20s, 250ms));
    CHECK(eventually([&] { return prometheus.value("parley_participants{state=\"present\"}") == 2.0; }, 20s, 250ms));
    CHECK(eventually([&] { return prometheus.value("rate(parley_router_packets_forwarded_total[10s])") > 0.0; }, 20s, 250ms));

    // The test server has no recording volume: the volume-locked alert fires; the failed
    // backup's too.
    CHECK(eventually([&] { return prometheus.value(R"(ALERTS{alertname="ParleyVolumeLocked",alertstate="firing"})") == 1.0; },
                     30s, 250ms));
    CHECK(eventually([&] { return prometheus.value(R"(ALERTS{alertname="ParleyBackupFailing",alertstate="firing"})") == 1.0; },
                     20s, 250ms));
    CHECK(prometheus.value(R"(ALERTS{alertname="ParleyBackupMissing"})") == std::nullopt); // no good backup yet: nothing to be late
}

TEST_CASE("With metrics.listen_address, /metrics is also served on its own port, with the same token, and nothing else is")
{
    const auto metricsPort = freePort();
    ServerWithAdmin server({"--set", "metrics.listen_address=127.0.0.1", "--set",
                            "metrics.port=" + std::to_string(metricsPort)});
    CHECK_THAT(server.server().process().output(),
               Contains("metrics listening on 127.0.0.1:" + std::to_string(metricsPort)));

    // Never anonymous there either.
    CHECK(scrape(metricsPort, "").status == 401);
    const auto token = createToken(server.server().dataDir());
    CHECK(scrape(metricsPort, "Bearer " + token + "x").status == 401);
    const auto ok = scrape(metricsPort, "Bearer " + token);
    REQUIRE(ok.status == 200);
    CHECK_THAT(ok.body, Contains("# TYPE parley_router_packets_forwarded_total counter"));
    CHECK(scrape(server.port(), "Bearer " + token).status == 200);
    CHECK(httpsRequest(server.port(), "GET", "/healthz").status == 200);

    // The portal's API, pages and health are not on that port.
    CHECK(httpsRequest(metricsPort, "GET", "/healthz").status == 404);
    CHECK(httpsRequest(metricsPort, "POST", "/api/v1/auth/login", R"({"username":"admin","password":"x"})").status == 404);
    CHECK(httpsRequest(metricsPort, "GET", "/").status == 404);
    CHECK(httpsRequest(metricsPort, "GET", "/ws").status == 404);
}

TEST_CASE("A metrics.listen_address that is no address stops start-up, naming the key")
{
    TempDir dir;
    const auto run = runParleyd({"--set", "server.data_dir=" + (dir / "data").string(), "--set", "server.port=0",
                                 "--set", "metrics.listen_address=metrics.example.org"},
                                dir.path());
    CHECK(run.exitCode == 78);
    CHECK_THAT(run.output, Contains("metrics.listen_address"));
}
