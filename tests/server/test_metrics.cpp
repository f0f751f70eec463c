// GET /metrics through the real server: only for the scraper's bearer token, the series an
// operator watches, and not one personal detail of the meeting or the login it counts.
#include "media_fixture.h"
#include "ldap_args.h"

#include <Poco/JSON/Object.h>

#include <chrono>
#include <sstream>
#include <thread>

using namespace parley::test;
using namespace std::chrono_literals;
using Catch::Contains;

namespace {

/// A new metrics token from `parleyctl metrics create-token` (the token is its stdout's
/// first line).
std::string createToken(const std::filesystem::path& dataDir)
{
    const auto created = runParleyctl(ctlArgs(dataDir) + " metrics create-token 2>/dev/null");
    REQUIRE(created.exitCode == 0);
    const auto token = created.output.substr(0, created.output.find('\n'));
    REQUIRE(token.size() == 43);
    return token;
}

HttpResponse scrape(std::uint16_t port, const std::string& authorization)
{
    return httpsRequest(port, "GET", "/metrics", {},
                        authorization.empty() ? std::string() : "Authorization: " + authorization + "\r\n");
}

/// The value of the sample written exactly as `series` (name and labels), or -1 if absent.
double valueOf(const std::string& text, const std::string& series)
{
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ')
            return std::stod(line.substr(series.size() + 1));
    return -1;
}

} // namespace

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
    CHECK(httpsRequest(port, "GET", "/metrics", {}, "Cookie: " + ("__Host-parley_session=" + admin.cookie()) + "\r\n")
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
    CHECK(valueOf(counted, R"(parley_metrics_refusals_total{reason="no_token_configured"})") >= 1);
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

    // A directory user (alice, "Alice Admin") signs in; another attempt fails.
    ApiClient alice(port);
    REQUIRE(alice.login("alice", "alice-password").status == 200);
    ApiClient intruder(port);
    CHECK(intruder.login("alice", "wrong-password-Quillfeather").status == 401);

    // A user with a name no metric could hold by chance holds a meeting with a guest.
    auto admin = server.admin();
    REQUIRE(admin.call("POST", "/api/v1/users",
                       R"({"username":"zinnia.quokka","displayName":"Zinnia Quokkaworth","password":"zinnia-password-1","role":"user"})")
                .status == 201);
    ApiClient zinnia(port);
    REQUIRE(zinnia.login("zinnia.quokka", "zinnia-password-1").status == 200);
    const auto now = std::chrono::system_clock::now();
    const auto meeting = roomFrom(zinnia.call(
        "POST", "/api/v1/rooms",
        R"({"title":"Oncology board Wexford","startsAt":")" + isoTime(now) + R"(","endsAt":")" +
            isoTime(now + 2h) + R"(","waitingRoom":false,"pin":"482913"})"));
    Attendee host(std::make_unique<WsClient>(port, sessionCookie(zinnia)), R"("link":")" + meeting.link + "\"", "host");
    Attendee guest(std::make_unique<WsClient>(port), guestJoin(meeting, "Guest Marchbanks", "482913"), "guest");
    connectAudioBothWays(host, 1111, guest, 2222);
    REQUIRE(reaches(host, 1111, guest));
    REQUIRE(reaches(guest, 2222, host));
    for (int i = 0; i < 30; ++i)
        reaches(host, 1111, guest, 1);
    REQUIRE(zinnia.call("GET", "/api/v1/rooms/" + std::to_string(meeting.id)).status == 200);
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
    CHECK(valueOf(text, R"(parley_http_requests_total{route="/ws",method="GET",status="101"})") < 0); // still open
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
    const std::string link = meeting.link.substr(meeting.link.rfind('/') + 1);
    const std::vector<std::string> personal{
        "alice", "Alice Admin", "uid=alice", "zinnia", "Zinnia Quokkaworth", "Quokka", "Guest Marchbanks", "Marchbanks",
        "Oncology", "Wexford", meeting.meetingId, link, "482913", host.id, guest.id, "127.0.0.1", "Quillfeather",
        "/api/v1/rooms/" + std::to_string(meeting.id),
    };
    for (const auto& detail : personal) {
        INFO("looking for '" << detail << "'");
        CHECK(text.find(detail) == std::string::npos);
    }
}
