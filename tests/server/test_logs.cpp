// parleyd's log through the real server: one logfmt line per event with stable field names,
// no personal data at the most verbose level, and the level changed by SIGHUP while it runs.
#include "ldap_args.h"
#include "media_fixture.h"
#include "named_meeting_fixture.h"

#include <csignal>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

using namespace parley::test;
using namespace std::chrono_literals;
using Catch::Contains;

namespace {

using LogLine = std::vector<std::pair<std::string, std::string>>;

/// One logfmt line as its fields in order, or nothing when it is not one: keys of a-z, 0-9,
/// '_' and '.', values bare (no space, '=' or '"') or quoted with \-escapes.
std::optional<LogLine> parseLogfmt(const std::string& line)
{
    LogLine fields;
    std::size_t i = 0;
    while (i < line.size()) {
        const auto equals = line.find('=', i);
        if (equals == std::string::npos || equals == i)
            return std::nullopt;
        const auto key = line.substr(i, equals - i);
        for (const char c : key)
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
                return std::nullopt;
        i = equals + 1;
        std::string value;
        if (i < line.size() && line[i] == '"') {
            for (++i;; ++i) {
                if (i >= line.size())
                    return std::nullopt; // unterminated
                if (line[i] == '"')
                    break;
                if (line[i] == '\\' && ++i >= line.size())
                    return std::nullopt;
                value += line[i];
            }
            ++i;
        }
        else {
            const auto end = line.find(' ', i);
            value = line.substr(i, end == std::string::npos ? std::string::npos : end - i);
            if (value.empty() || value.find_first_of("=\"") != std::string::npos)
                return std::nullopt;
            i += value.size();
        }
        fields.emplace_back(key, value);
        if (i < line.size() && line[i++] != ' ')
            return std::nullopt;
    }
    return fields;
}

/// The log file's lines, each checked: logfmt, starting with time, level, source, event and
/// msg in that order, with a known level and no field twice.
std::vector<std::map<std::string, std::string>> checkedLines(const std::filesystem::path& file)
{
    static const std::set<std::string> levels{"debug", "info", "notice", "warning", "error", "critical", "fatal"};
    std::vector<std::map<std::string, std::string>> lines;
    // Only whole lines: the server may be writing the next one as we read.
    auto whole = readFile(file);
    whole.resize(whole.rfind('\n') == std::string::npos ? 0 : whole.rfind('\n') + 1);
    std::istringstream in(whole);
    for (std::string text; std::getline(in, text);) {
        INFO("log line: " << text);
        const auto fields = parseLogfmt(text);
        REQUIRE(fields);
        REQUIRE(fields->size() >= 5);
        const std::vector<std::string> leading{"time", "level", "source", "event", "msg"};
        for (std::size_t k = 0; k < leading.size(); ++k)
            REQUIRE((*fields)[k].first == leading[k]);
        REQUIRE(levels.contains((*fields)[1].second));
        std::map<std::string, std::string> byName(fields->begin(), fields->end());
        REQUIRE(byName.size() == fields->size());
        lines.push_back(std::move(byName));
    }
    return lines;
}

std::size_t countEvents(const std::vector<std::map<std::string, std::string>>& lines, const std::string& event)
{
    return static_cast<std::size_t>(std::count_if(lines.begin(), lines.end(),
                                                  [&](const auto& line) { return line.at("event") == event; }));
}

} // namespace

TEST_CASE("At the most verbose level every log line is one logfmt event, and none holds a name, an address, a "
          "title, a meeting ID, a link or a PIN")
{
    TempDir logDir;
    const auto logFile = logDir / "parleyd.log";
    SlapdServer slapd;
    auto args = ldapArgs(slapd);
    args.insert(args.end(), {"--set", "log.level=trace", "--set", "log.file=" + logFile.string()});
    SignalingServer server(args);
    const auto port = server.port();

    ApiClient intruder(port);
    CHECK(intruder.login("nobody.Pemberton", "whatever-password").status == 401);
    NamedMeeting named(server);
    const auto& meeting = named.meeting;
    const auto& link = named.link;
    {
        Attendee& host = *named.host;
        Attendee& guest = *named.guest;
        // A wrong PIN and a link that does not exist, with the secrets in the request.
        WsClient wrong(port);
        (void)wrong.join(R"("link":")" + meeting.link + R"(","name":"Guest Marchbanks","pin":"999999")");
        ApiClient visitor(port);
        CHECK(visitor.call("GET", "/join/" + link).status == 200);
        (void)visitor.call("GET", "/join/Zz9secretLinkNotThere?pin=482913");
        (void)visitor.call("GET", "/meeting/" + meeting.meetingId);
        (void)visitor.call("GET", "/no/such/Zz9secretLinkNotThere");
        host.ws->sendText(R"({"type":"leave"})");
        guest.ws->sendText(R"({"type":"leave"})");
    }
    REQUIRE(named.zinnia.call("GET", "/api/v1/rooms/" + std::to_string(meeting.id)).status == 200);
    server.server().process().signal(SIGTERM);
    REQUIRE(server.server().process().waitForExit() == 0);

    const auto lines = checkedLines(logFile);
    // The log was there to leak into: it tells of the logins, the media and each request.
    CHECK(countEvents(lines, "ldap.login") == 3); // alice, alice again, and a name the directory lacks
    CHECK(countEvents(lines, "participant.media_connected") == 2);
    CHECK(countEvents(lines, "http.request") > 10);
    CHECK(countEvents(lines, "server.stopped") == 1);
    const auto request = std::find_if(lines.begin(), lines.end(), [&](const auto& line) {
        return line.at("event") == "http.request" && line.count("route") && line.at("route") == "/api/v1/rooms/{id}";
    });
    REQUIRE(request != lines.end());
    CHECK(request->at("method") == "GET");
    CHECK(request->at("status") == "200");
    CHECK(request->count("duration_ms") == 1);

    // Not one personal detail. Participant ids (random per join) stay: the audit log ties them
    // to a person for those allowed to read it. The server's own addresses are named only
    // where it says where it listens and what its configuration is.
    auto personal = named.personalDetails();
    personal.insert(personal.end(), {"999999", "Pemberton", "Zz9secretLinkNotThere"});
    const std::set<std::string> ownAddresses{"https.listening", "router.listening", "config.value"};
    std::ifstream in(logFile);
    std::size_t lineNumber = 0;
    for (std::string text; std::getline(in, text); ++lineNumber) {
        for (const auto& detail : personal) {
            INFO("'" << detail << "' in: " << text);
            CHECK(text.find(detail) == std::string::npos);
        }
        if (!ownAddresses.contains(lines.at(lineNumber).at("event"))) {
            INFO("an address in: " << text);
            CHECK(text.find("127.0.0.1") == std::string::npos);
        }
    }
}

TEST_CASE("SIGHUP applies a changed log.level without a restart, audited, and keeps it when the file is broken")
{
    TempDir dir;
    const auto config = dir / "parley.ini";
    const auto logFile = dir / "parleyd.log";
    const auto writeConfig = [&](const std::string& level) {
        std::ofstream(config, std::ios::trunc) << "[log]\nlevel = " << level << "\nfile = " << logFile.string() << "\n";
    };
    writeConfig("information");
    ServerWithAdmin server({"--config", config.string()});
    auto admin = server.admin();
    const auto process = [&]() -> ParleydProcess& { return server.server().process(); };
    const auto waitForEvent = [&](const std::string& event, std::size_t count) {
        for (int i = 0; i < 100 && countEvents(checkedLines(logFile), event) < count; ++i)
            std::this_thread::sleep_for(50ms);
        return countEvents(checkedLines(logFile), event);
    };

    REQUIRE(admin.call("GET", "/api/v1/admin/overview").status == 200);
    CHECK(countEvents(checkedLines(logFile), "http.request") == 0); // debug: not written at information

    writeConfig("debug");
    process().signal(SIGHUP);
    REQUIRE(waitForEvent("log.level_changed", 1) == 1);
    REQUIRE(admin.call("GET", "/api/v1/admin/overview").status == 200);
    CHECK(waitForEvent("http.request", 1) >= 1);
    const auto changes = json(admin.call("GET", "/api/v1/audit?action=config.change&target=log.level").body);
    REQUIRE(changes->getValue<int>("total") == 1);
    const auto details = changes->getArray("entries")->getObject(0)->getObject("details");
    CHECK(details->getValue<std::string>("from") == "information");
    CHECK(details->getValue<std::string>("to") == "debug");

    // A file that no longer reads: said so, and the level in force stays.
    writeConfig("loud");
    process().signal(SIGHUP);
    REQUIRE(waitForEvent("config.reload_failed", 1) == 1);
    const auto before = countEvents(checkedLines(logFile), "http.request");
    REQUIRE(admin.call("GET", "/api/v1/admin/overview").status == 200);
    CHECK(waitForEvent("http.request", before + 1) == before + 1);

    // Back to information: the requests stop being written, and the server never restarted.
    writeConfig("information");
    process().signal(SIGHUP);
    REQUIRE(waitForEvent("log.level_changed", 2) == 2);
    const auto quiet = countEvents(checkedLines(logFile), "http.request");
    REQUIRE(admin.call("GET", "/api/v1/admin/overview").status == 200);
    std::this_thread::sleep_for(200ms);
    CHECK(countEvents(checkedLines(logFile), "http.request") == quiet);
    CHECK(countEvents(checkedLines(logFile), "server.starting") == 1);
    CHECK(process().running());
}
