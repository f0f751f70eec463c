// The audit log through the real server and parleyctl.
#include "account_fixture.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include <csignal>
#include <sstream>

using namespace parley::test;
using Catch::Contains;

namespace {

Poco::JSON::Array::Ptr entries(ApiClient& client, const std::string& query)
{
    const auto response = client.call("GET", "/api/v1/audit?per_page=200&" + query);
    REQUIRE(response.status == 200);
    return json(response.body)->getArray("entries");
}

std::vector<std::string> actions(const Poco::JSON::Array::Ptr& list)
{
    std::vector<std::string> names;
    for (std::size_t i = 0; i < list->size(); ++i)
        names.push_back(list->getObject(static_cast<unsigned>(i))->getValue<std::string>("action"));
    return names;
}

bool contains(const std::vector<std::string>& names, const std::string& name)
{
    return std::find(names.begin(), names.end(), name) != names.end();
}

void sql(const std::filesystem::path& dataDir, const std::string& statement)
{
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session session("SQLite", (dataDir / "parley.db").string());
    session << statement, Poco::Data::Keywords::now;
}

/// Runs a server through logins and account changes, stops it, and returns its data dir.
struct StoppedServerWithHistory
{
    TempDir dir;
    std::filesystem::path dataDir = dir / "data";

    StoppedServerWithHistory()
    {
        REQUIRE(runParleyctl(ctlArgs(dataDir) + " user create-admin admin", kAdminPassword).exitCode == 0);
        auto args = fastAccounts({"--set", "server.data_dir=" + dataDir.string(), "--set",
                                  "server.port=0"});
        ParleydProcess process(args, dir.path());
        const auto port = process.servingPort();
    REQUIRE(port != 0);
        ApiClient admin(port);
        REQUIRE(admin.login("admin", kAdminPassword).status == 200);
        admin.login("admin", "wrong-password");
        REQUIRE(admin.call("POST", "/api/v1/users", R"({"username":"eve","password":"eve-password"})").status == 201);
        REQUIRE(admin.call("PATCH", "/api/v1/users/2", R"({"role":"auditor"})").status == 200);
        process.signal(SIGTERM);
        REQUIRE(process.waitForExit() == 0);
    }

    CommandResult verify() { return runParleyctl(ctlArgs(dataDir) + " audit verify"); }
};

} // namespace

TEST_CASE("Logins, logouts and account changes are audited with actor, source and outcome")
{
    ServerWithAdmin server;
    ApiClient stranger(server.port());
    stranger.login("admin", "wrong-password");
    auto admin = server.admin();
    REQUIRE(admin.call("POST", "/api/v1/users", R"({"username":"dan","password":"dan-password"})").status == 201);
    REQUIRE(admin.call("PATCH", "/api/v1/users/2", R"({"role":"auditor"})").status == 200);
    REQUIRE(admin.call("POST", "/api/v1/users/2/password", R"({"password":"dan-new-password"})").status == 204);
    ApiClient dan(server.port());
    REQUIRE(dan.login("dan", "dan-new-password").status == 200);
    REQUIRE(dan.call("POST", "/api/v1/auth/logout").status == 204);
    REQUIRE(admin.call("DELETE", "/api/v1/users/2").status == 204);

    const auto list = entries(admin, "");
    const auto names = actions(list);
    for (const auto* expected : {"user.create", "server.start", "login.failure", "login.success",
                                 "user.role_change", "user.password_reset", "logout", "user.delete"}) {
        INFO(expected);
        CHECK(contains(names, expected));
    }
    const auto failure = entries(admin, "action=login.failure")->getObject(0);
    CHECK(failure->getValue<std::string>("actor") == "admin");
    CHECK(failure->getValue<std::string>("sourceAddress") == "127.0.0.1");
    CHECK(failure->getValue<std::string>("outcome") == "failure");
    CHECK(failure->getObject("details")->getValue<std::string>("reason") == "wrong_password");
    const auto roleChange = entries(admin, "action=user.role_change")->getObject(0);
    CHECK(roleChange->getValue<std::string>("target") == "user:dan");
    CHECK(roleChange->getObject("details")->getValue<std::string>("from") == "user");
    CHECK(roleChange->getObject("details")->getValue<std::string>("to") == "auditor");
    // No password ever reaches the audit log.
    CHECK(admin.call("GET", "/api/v1/audit/export").body.find("dan-new-password") == std::string::npos);
}

TEST_CASE("A lockout is audited once, not once per refused attempt")
{
    ServerWithAdmin server({"--set", "login.account_free_attempts=2", "--set", "login.lockout_base_seconds=60"});
    ApiClient client(server.port());
    for (int i = 0; i < 6; ++i)
        client.login("admin", "wrong-password");
    // The admin is locked out now, so read the log from the database.
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session session("SQLite", (server.server().dataDir() / "parley.db").string());
    int lockouts = 0;
    int failures = 0;
    session << "SELECT count(*) FROM audit_log WHERE action = 'login.lockout'", Poco::Data::Keywords::into(lockouts),
        Poco::Data::Keywords::now;
    session << "SELECT count(*) FROM audit_log WHERE action = 'login.failure'", Poco::Data::Keywords::into(failures),
        Poco::Data::Keywords::now;
    CHECK(lockouts == 1);
    CHECK(failures == 2);
}

TEST_CASE("Audit queries filter by actor, action and time, and paginate")
{
    ServerWithAdmin server;
    auto admin = server.admin();
    for (int i = 0; i < 4; ++i)
        ApiClient(server.port()).login("ghost" + std::to_string(i), "nope-nope");

    const auto byActor = json(admin.call("GET", "/api/v1/audit?actor=ghost2").body);
    CHECK(byActor->getValue<int>("total") == 1);
    const auto byPrefix = json(admin.call("GET", "/api/v1/audit?action=login.").body);
    CHECK(byPrefix->getValue<int>("total") == 5); // four failures and the admin's success
    const auto page = json(admin.call("GET", "/api/v1/audit?action=login.failure&per_page=3&page=2").body);
    CHECK(page->getArray("entries")->size() == 1);
    CHECK(page->getValue<int>("total") == 4);
    CHECK(json(admin.call("GET", "/api/v1/audit?to=2000-01-01T00:00:00Z").body)->getValue<int>("total") == 0);
    CHECK(json(admin.call("GET", "/api/v1/audit?from=2000-01-01").body)->getValue<int>("total") >= 6);
    CHECK(admin.call("GET", "/api/v1/audit?from=yesterday").status == 400);
    CHECK(admin.call("GET", "/api/v1/audit?from=2026'%20OR%201=1--").status == 400);
}

TEST_CASE("The audit log exports as JSON Lines and as CSV safe to open in a spreadsheet")
{
    ServerWithAdmin server;
    ApiClient(server.port()).login("=HYPERLINK(\"http://evil\")", "x-password");
    auto admin = server.admin();
    const auto total = json(admin.call("GET", "/api/v1/audit").body)->getValue<int>("total");

    const auto jsonl = admin.call("GET", "/api/v1/audit/export?format=jsonl");
    REQUIRE(jsonl.status == 200);
    CHECK_THAT(jsonl.header("content-disposition"), Contains("parley-audit.jsonl"));
    std::istringstream lines(jsonl.body);
    std::string line;
    int count = 0;
    Poco::JSON::Object::Ptr head;
    while (std::getline(lines, line)) {
        if (line.empty())
            continue;
        REQUIRE_FALSE(head); // the head line is the last
        const auto record = json(line);
        if (record->has("head")) {
            head = record->getObject("head");
            continue;
        }
        CHECK(record->getValue<int>("seq") == count + 1);
        // details exactly as hashed: the stored JSON text
        CHECK(json(record->getValue<std::string>("details")));
        ++count;
    }
    CHECK(count == total + 1); // the export records itself before it streams
    // ... and is the head it names, in the file and in the header.
    REQUIRE(head);
    CHECK(head->getValue<int>("seq") == count);
    CHECK_THAT(jsonl.header("x-parley-audit-head"),
               Contains("seq=" + std::to_string(count) + "; hash=" + head->getValue<std::string>("hash")));
    const auto csv = admin.call("GET", "/api/v1/audit/export?format=csv&action=login.failure");
    REQUIRE(csv.status == 200);
    CHECK(csv.body.starts_with("seq,time,actor,source_address,action,target,outcome,details,prev_hash,hash\r\n"));
    CHECK_THAT(csv.body, Contains("\"'=HYPERLINK(\"\"http://evil\"\")\""));
    CHECK_THAT(csv.body, !Contains(",\"=HYPERLINK"));
    CHECK(admin.call("GET", "/api/v1/audit/export?format=xml").status == 400);
    CHECK(contains(actions(entries(admin, "action=audit.export")), "audit.export"));
}

TEST_CASE("Audit verification passes on an untouched log, over the API and with parleyctl")
{
    StoppedServerWithHistory history;
    const auto result = history.verify();
    CHECK(result.exitCode == 0);
    CHECK_THAT(result.output, Contains("audit log intact"));

    RunningServer server(fastAccounts({"--set", "server.data_dir=" + history.dataDir.string()}));
    ApiClient admin(server.port());
    REQUIRE(admin.login("admin", kAdminPassword).status == 200);
    const auto verified = json(admin.call("GET", "/api/v1/audit/verify").body);
    CHECK(verified->getValue<bool>("ok"));
    CHECK(verified->getValue<int>("entriesChecked") > 5);
}

TEST_CASE("parleyctl audit verify names an entry edited directly in SQLite")
{
    StoppedServerWithHistory history;
    sql(history.dataDir, "DROP TRIGGER audit_log_no_update");
    sql(history.dataDir, "UPDATE audit_log SET outcome = 'success' WHERE seq = 4");
    const auto result = history.verify();
    CHECK(result.exitCode == 1);
    CHECK_THAT(result.output, Contains("entry 4 was altered") && Contains("first bad entry: 4"));
}

TEST_CASE("parleyctl audit verify names an entry deleted directly in SQLite")
{
    StoppedServerWithHistory history;
    sql(history.dataDir, "DROP TRIGGER audit_log_prune_only");
    sql(history.dataDir, "DELETE FROM audit_log WHERE seq = 3");
    const auto result = history.verify();
    CHECK(result.exitCode == 1);
    CHECK_THAT(result.output, Contains("entry 3 was removed") && Contains("first bad entry: 3"));
}

TEST_CASE("parleyctl audit verify names an entry inserted directly in SQLite")
{
    StoppedServerWithHistory history;
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session session("SQLite", (history.dataDir / "parley.db").string());
    int last = 0;
    session << "SELECT MAX(seq) FROM audit_log", Poco::Data::Keywords::into(last), Poco::Data::Keywords::now;
    sql(history.dataDir, "INSERT INTO audit_log SELECT seq + 1, time, 'mallory', source_address, action, "
                         "target, outcome, details, hash, hash FROM audit_log WHERE seq = " +
                             std::to_string(last));
    const auto result = history.verify();
    CHECK(result.exitCode == 1);
    CHECK_THAT(result.output, Contains("first bad entry: " + std::to_string(last + 1)));
}

TEST_CASE("A configuration change between starts is audited with old and new values")
{
    TempDir dir;
    const auto dataDir = dir / "data";
    REQUIRE(runParleyctl(ctlArgs(dataDir) + " user create-admin admin", kAdminPassword).exitCode == 0);
    auto args = fastAccounts({"--set", "server.data_dir=" + dataDir.string(), "--set",
                              "server.port=0"});
    {
        ParleydProcess first(args, dir.path());
        const auto port = first.servingPort();
    REQUIRE(port != 0);
        first.signal(SIGTERM);
        REQUIRE(first.waitForExit() == 0);
    }
    args.insert(args.end(), {"--set", "sessions.idle_timeout_seconds=600"});
    ParleydProcess second(args, dir.path());
    const auto port = second.servingPort();
    REQUIRE(port != 0);
    ApiClient admin(port);
    REQUIRE(admin.login("admin", kAdminPassword).status == 200);
    const auto changes = entries(admin, "action=config.change");
    REQUIRE(changes->size() == 1);
    const auto details = changes->getObject(0)->getObject("details");
    REQUIRE(details->has("sessions.idle_timeout_seconds"));
    CHECK(details->getObject("sessions.idle_timeout_seconds")->getValue<std::string>("from") == "1800");
    CHECK(details->getObject("sessions.idle_timeout_seconds")->getValue<std::string>("to") == "600");
    CHECK(details->size() == 1);
}

TEST_CASE("A flood of one audit event is folded into a count, while every distinct event is recorded")
{
    // Throttles opened wide, so that only the audit log's own folding bounds what is written.
    ServerWithAdmin server({"--set", "login.account_free_attempts=1000", "--set",
                            "login.address_free_attempts=100000"});
    ApiClient client(server.port());
    for (int i = 0; i < 60; ++i)
        client.login("mallory", "guess-" + std::to_string(i));
    for (int i = 0; i < 15; ++i)
        client.login("name-" + std::to_string(i), "guess");

    Poco::Data::SQLite::Connector::registerConnector();
    const auto dataDir = server.server().dataDir();
    const auto count = [&](const std::string& where) {
        Poco::Data::Session session("SQLite", (dataDir / "parley.db").string());
        int n = 0;
        session << "SELECT count(*) FROM audit_log WHERE " + where, Poco::Data::Keywords::into(n),
            Poco::Data::Keywords::now;
        return n;
    };
    // The first ten of the flood one by one, the rest counted (written when the window ends
    // or the server stops); each distinct name once.
    CHECK(count("action = 'login.failure' AND actor = 'mallory'") == 10);
    CHECK(count("action = 'login.failure' AND actor LIKE 'name-%'") == 15);

    server.server().process().signal(SIGTERM);
    REQUIRE(server.server().process().waitForExit() == 0);
    CHECK(count("action = 'login.failure' AND actor = 'mallory'") == 11);
    Poco::Data::Session session("SQLite", (dataDir / "parley.db").string());
    std::string details;
    session << "SELECT details FROM audit_log WHERE actor = 'mallory' ORDER BY seq DESC LIMIT 1",
        Poco::Data::Keywords::into(details), Poco::Data::Keywords::now;
    const auto summary = json(details);
    CHECK(summary->getValue<int>("repeats") == 50);
    CHECK(summary->getValue<std::string>("reason") == "unknown_user");
    CHECK(summary->getValue<std::string>("firstRepeat") <= summary->getValue<std::string>("lastRepeat"));
    CHECK(runParleyctl(ctlArgs(dataDir) + " audit verify").exitCode == 0);
}
