// An audit export checked after the fact: POST /api/v1/audit/verify-export against the
// running server, and `parleyctl audit verify-export` offline.
#include "account_fixture.h"
#include "temp_dir.h"

#include <parley/portal/audit/audit_export_format.h>
#include <parley/storage/audit_log.h>

#include <sstream>

using namespace parley::test;
using Catch::Contains;

namespace {

/// A server with some history: logins, a failed one with a hostile name, account changes.
struct ServerWithHistory
{
    ServerWithAdmin server;
    ApiClient admin = server.admin();

    ServerWithHistory()
    {
        ApiClient(server.port()).login("=cmd|' /C calc'!A0 \"quoted\", too", "x-password");
        ApiClient(server.port()).login("'quoted", "x-password");
        REQUIRE(admin.call("POST", "/api/v1/users", R"({"username":"dan","password":"dan-password"})").status == 201);
        REQUIRE(admin.call("PATCH", "/api/v1/users/2", R"({"role":"auditor"})").status == 200);
    }

    std::string exportAs(const std::string& format, const std::string& filter = {})
    {
        const auto response = admin.call("GET", "/api/v1/audit/export?format=" + format + filter);
        REQUIRE(response.status == 200);
        return response.body;
    }

    Poco::JSON::Object::Ptr verify(const std::string& file)
    {
        const auto response = admin.call("POST", "/api/v1/audit/verify-export", file);
        INFO(response.body);
        REQUIRE(response.status == 200);
        return json(response.body);
    }
};

std::vector<std::string> linesOf(const std::string& text)
{
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        lines.push_back(line);
    return lines;
}

std::string joined(const std::vector<std::string>& lines)
{
    std::string text;
    for (const auto& line : lines)
        text += line + "\n";
    return text;
}

/// The index of the JSON line of entry `seq`.
std::size_t lineOfSeq(const std::vector<std::string>& lines, int seq)
{
    const auto prefix = "{\"seq\":" + std::to_string(seq) + ",";
    for (std::size_t i = 0; i < lines.size(); ++i)
        if (lines[i].starts_with(prefix))
            return i;
    FAIL("no line for entry " << seq);
    return 0;
}

CommandResult verifyOffline(const std::string& content)
{
    TempDir dir;
    writeFile(dir / "export", content);
    return runParleyctl("audit verify-export " + (dir / "export").string());
}

} // namespace

TEST_CASE("An audit export verifies against the server and offline, as JSON Lines and as CSV")
{
    ServerWithHistory history;
    for (const std::string format : {"jsonl", "csv"}) {
        INFO(format);
        const auto file = history.exportAs(format);
        const auto result = history.verify(file);
        CHECK(result->getValue<bool>("ok"));
        CHECK(result->getValue<bool>("chainIntact"));
        CHECK(result->getValue<bool>("matchesServer"));
        CHECK(result->getValue<std::string>("format") == format);
        CHECK(result->getValue<int>("entries") >= 8);
        CHECK_FALSE(result->has("firstBadSeq"));
        const auto offline = verifyOffline(file);
        CHECK(offline.exitCode == 0);
        CHECK_THAT(offline.output, Contains("audit export intact"));
    }
    // A filtered export has gaps by design; its head line says so.
    const auto failures = history.exportAs("jsonl", "&action=login.failure");
    const auto filtered = history.verify(failures);
    CHECK(filtered->getValue<bool>("ok"));
    CHECK(filtered->getValue<bool>("filtered"));
    CHECK(filtered->getValue<int>("entries") == 2);
    CHECK(verifyOffline(failures).exitCode == 0);
    // The verification is audited, and the auditor may run it too.
    ApiClient auditor(history.server.port());
    REQUIRE(auditor.login("dan", "dan-password").status == 200);
    CHECK(auditor.call("POST", "/api/v1/audit/verify-export", failures).status == 200);
    CHECK_THAT(history.exportAs("jsonl", "&action=audit.verify_export"), Contains("\"actor\":\"dan\""));
}

TEST_CASE("An export with one byte of one entry changed fails, naming that entry")
{
    ServerWithHistory history;
    auto lines = linesOf(history.exportAs("jsonl"));
    auto& line = lines[lineOfSeq(lines, 4)];
    const auto at = line.find("\"outcome\":\"") + 11;
    line[at] = line[at] == 's' ? 'S' : 's';
    const auto result = history.verify(joined(lines));
    CHECK_FALSE(result->getValue<bool>("ok"));
    CHECK_FALSE(result->getValue<bool>("chainIntact"));
    CHECK(result->getValue<int>("firstBadSeq") == 4);
    CHECK_THAT(result->getValue<std::string>("problem"), Contains("entry 4 was altered"));
    const auto offline = verifyOffline(joined(lines));
    CHECK(offline.exitCode == 1);
    CHECK_THAT(offline.output, Contains("first bad entry: 4"));

    // The same in CSV, in the cell of a hostile login name.
    auto csv = history.exportAs("csv");
    const auto cell = csv.find("calc");
    REQUIRE(cell != std::string::npos);
    const auto rowStart = csv.rfind("\r\n", cell) + 2;
    const auto seq = std::stoi(csv.substr(rowStart, csv.find(',', rowStart) - rowStart));
    csv[cell] = 'C';
    const auto csvResult = history.verify(csv);
    CHECK_FALSE(csvResult->getValue<bool>("ok"));
    CHECK(csvResult->getValue<int>("firstBadSeq") == seq);
    CHECK(verifyOffline(csv).exitCode == 1);
}

TEST_CASE("An export rewritten with recomputed hashes is caught by comparing with the server")
{
    ServerWithHistory history;
    auto lines = linesOf(history.exportAs("jsonl"));
    // Re-chain every entry from 3 on after changing its actor, and the head line too: the
    // file is consistent in itself, and only the server's copy tells.
    std::string previous;
    for (auto& line : lines) {
        auto record = json(line);
        if (record->has("head")) {
            record->getObject("head")->set("hash", previous);
            std::ostringstream out;
            record->stringify(out);
            line = out.str();
            continue;
        }
        parley::storage::AuditEntry entry;
        entry.seq = record->getValue<std::int64_t>("seq");
        entry.time = record->getValue<std::string>("time");
        entry.event = {record->getValue<std::string>("actor"), record->getValue<std::string>("sourceAddress"),
                       record->getValue<std::string>("action"), record->getValue<std::string>("target"),
                       record->getValue<std::string>("outcome"), record->getValue<std::string>("details")};
        entry.prevHash = entry.seq == 1 ? record->getValue<std::string>("prevHash") : previous;
        if (entry.seq == 3)
            entry.event.actor = "somebody-else";
        entry.hash = parley::storage::AuditLog::chainHash(entry);
        previous = entry.hash;
        line = parley::portal::auditExportJsonLine(entry);
        line.pop_back(); // its newline: joined() adds one
    }
    CHECK(verifyOffline(joined(lines)).exitCode == 0); // offline, only the chain can be checked
    const auto result = history.verify(joined(lines));
    CHECK_FALSE(result->getValue<bool>("ok"));
    CHECK(result->getValue<bool>("chainIntact"));
    CHECK_FALSE(result->getValue<bool>("matchesServer"));
    CHECK(result->getValue<int>("firstBadSeq") == 3);
    CHECK_THAT(result->getValue<std::string>("problem"), Contains("differs from the server's log"));
}

TEST_CASE("A line removed from an export is detected, in the middle, at the end and the head")
{
    ServerWithHistory history;
    const auto lines = linesOf(history.exportAs("jsonl"));
    const auto without = [&lines](std::size_t index) {
        auto copy = lines;
        copy.erase(copy.begin() + static_cast<std::ptrdiff_t>(index));
        return joined(copy);
    };
    const auto lastEntry = static_cast<int>(lines.size()) - 1; // the line before the head

    const auto middle = history.verify(without(lineOfSeq(lines, 5)));
    CHECK_FALSE(middle->getValue<bool>("ok"));
    CHECK(middle->getValue<int>("firstBadSeq") == 5);
    CHECK_THAT(middle->getValue<std::string>("problem"), Contains("entry 5 is missing"));

    const auto end = history.verify(without(lineOfSeq(lines, lastEntry)));
    CHECK_FALSE(end->getValue<bool>("ok"));
    CHECK(end->getValue<int>("firstBadSeq") == lastEntry);

    const auto cut = history.verify(without(lines.size() - 1));
    CHECK_FALSE(cut->getValue<bool>("ok"));
    CHECK_THAT(cut->getValue<std::string>("problem"), Contains("head line is missing"));

    for (const auto& file : {without(lineOfSeq(lines, 5)), without(lineOfSeq(lines, lastEntry)), without(lines.size() - 1)}) {
        const auto offline = verifyOffline(file);
        CHECK(offline.exitCode == 1);
        CHECK_THAT(offline.output, Contains("audit export ALTERED"));
    }
    // In CSV, whose rows carry no head, a removed row shows as a gap.
    auto csv = history.exportAs("csv");
    const auto row = csv.find("\r\n6,\"") + 2;
    csv.erase(row, csv.find("\r\n7,\"") + 2 - row);
    const auto csvResult = history.verify(csv);
    CHECK_FALSE(csvResult->getValue<bool>("ok"));
    CHECK(csvResult->getValue<int>("firstBadSeq") == 6);
}

TEST_CASE("Hostile files sent to verify-export get a clear answer and never a crash")
{
    ServerWithHistory history;
    auto& admin = history.admin;
    const auto post = [&admin](const std::string& body) { return admin.call("POST", "/api/v1/audit/verify-export", body); };

    for (const std::string& garbage : {std::string("hello"), std::string("[1,2,3]"), std::string("{\"seq\":\"x\"}"),
                                      std::string(100, '{'), std::string("\0\1\2", 3)}) {
        const auto response = post(garbage);
        CHECK(response.status == 400);
        CHECK(errorCode(response) == "invalid_export");
        CHECK(verifyOffline(garbage).exitCode == 1);
    }
    const auto lines = linesOf(history.exportAs("jsonl"));
    // A huge line, a line with a field missing, a line of the wrong type after good ones.
    for (const auto& bad : {std::string(2 * 1024 * 1024, 'a'), std::string(R"({"seq":3,"time":"x"})"),
                            std::string(R"({"seq":3,"time":"x","actor":"a","sourceAddress":"b","action":"c",)"
                                        R"("target":"d","outcome":"e","details":{},"prevHash":"0","hash":"1"})")}) {
        auto copy = lines;
        copy.insert(copy.begin() + 2, bad);
        const auto result = history.verify(joined(copy));
        CHECK_FALSE(result->getValue<bool>("ok"));
        CHECK(result->getValue<int>("firstBadSeq") == 3);
        CHECK_THAT(result->getValue<std::string>("problem"), Contains("line 3"));
        CHECK(verifyOffline(joined(copy)).exitCode == 1);
    }
    // Too large to take: refused from the Content-Length, before a byte of it is read.
    TlsClient client(history.server.port());
    client.write("POST /api/v1/audit/verify-export HTTP/1.1\r\nHost: localhost\r\nCookie: __Host-parley_session=" +
                 admin.cookie() + "\r\nX-CSRF-Token: " + admin.csrf() + "\r\nContent-Length: 100000000\r\n\r\n");
    CHECK(parseHttpResponse(client.readAll()).status == 413);
    CHECK(admin.call("POST", "/api/v1/audit/verify-export").status == 411);
    // The server still answers, and the log is intact.
    CHECK(json(admin.call("GET", "/api/v1/audit/verify").body)->getValue<bool>("ok"));
}

TEST_CASE("verify-export is for admins and auditors, with the CSRF token")
{
    ServerWithHistory history;
    const auto file = history.exportAs("jsonl");
    auto user = history.server.userWithRole("plainuser", "user");
    CHECK(user.call("POST", "/api/v1/audit/verify-export", file).status == 403);
    CHECK(ApiClient(history.server.port()).call("POST", "/api/v1/audit/verify-export", file).status == 401);
    const auto withoutToken = history.admin.call("POST", "/api/v1/audit/verify-export", file, false);
    CHECK(withoutToken.status == 403);
    CHECK(errorCode(withoutToken) == "csrf_failed");
    const auto denied = history.exportAs("jsonl", "&action=access.denied");
    CHECK_THAT(denied, Contains("POST /api/v1/audit/verify-export") && Contains("plainuser"));
}
