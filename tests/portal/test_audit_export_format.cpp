#include <parley/portal/audit/audit_export_format.h>
#include <parley/portal/audit/audit_export_verifier.h>

#include <catch2/catch.hpp>

#include <sstream>

using namespace parley::portal;
using parley::storage::AuditEntry;
using parley::storage::AuditLog;
using Catch::Contains;

namespace {

/// A chain of entries whose text fields hold what CSV and JSON must carry unchanged.
std::vector<AuditEntry> awkwardEntries()
{
    const std::vector<std::string> actors{"=SUM(A1)", "'apostrophe", "''two", "line\r\nbreak", "bare\nnewline",
                                          "quote \" and , comma", "", "\t-tab", "ünïcödé"};
    std::vector<AuditEntry> entries;
    std::string previous = AuditLog::kGenesisHash;
    for (std::size_t i = 0; i < actors.size(); ++i) {
        AuditEntry entry;
        entry.seq = static_cast<std::int64_t>(i) + 1;
        entry.time = "2026-11-23T10:00:0" + std::to_string(i) + ".000Z";
        entry.event = {actors[i], "127.0.0.1", "login.failure", "user:" + actors[i], "failure",
                       "{\"reason\":\"unknown_user\",\"n\":" + std::to_string(i) + "}"};
        entry.prevHash = previous;
        entry.hash = AuditLog::chainHash(entry);
        previous = entry.hash;
        entries.push_back(entry);
    }
    return entries;
}

std::vector<AuditEntry> readBack(const std::string& text)
{
    std::istringstream in(text);
    AuditExportReader reader(in);
    std::vector<AuditEntry> entries;
    while (const auto record = reader.next())
        if (const auto* entry = std::get_if<AuditEntry>(&*record))
            entries.push_back(*entry);
    return entries;
}

void requireSame(const std::vector<AuditEntry>& a, const std::vector<AuditEntry>& b)
{
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        INFO("entry " << a[i].seq);
        CHECK(AuditLog::canonicalContent(a[i]) == AuditLog::canonicalContent(b[i]));
        CHECK(a[i].prevHash == b[i].prevHash);
        CHECK(a[i].hash == b[i].hash);
    }
}

} // namespace

TEST_CASE("Exported entries read back byte for byte, formulas, apostrophes and line breaks included")
{
    const auto entries = awkwardEntries();
    std::string csv = auditExportCsvHeader();
    std::string jsonl;
    for (const auto& entry : entries) {
        csv += auditExportCsvRow(entry);
        jsonl += auditExportJsonLine(entry);
    }
    jsonl += auditExportHeadLine({entries.back().seq, entries.back().hash, "2026-11-23T11:00:00.000Z"}, {});
    CHECK_THAT(csv, Contains("\"'=SUM(A1)\"") && Contains("\"''apostrophe\""));
    requireSame(readBack(csv), entries);
    requireSame(readBack(jsonl), entries);

    std::istringstream csvIn(csv);
    const auto csvCheck = verifyAuditExport(csvIn);
    CHECK(csvCheck.ok);
    CHECK(csvCheck.csv);
    std::istringstream jsonlIn(jsonl);
    const auto jsonlCheck = verifyAuditExport(jsonlIn);
    CHECK(jsonlCheck.ok);
    REQUIRE(jsonlCheck.head);
    CHECK(jsonlCheck.head->seq == static_cast<std::int64_t>(entries.size()));
}

TEST_CASE("Broken CSV rows are reported by line, and a file that is no export is refused")
{
    const auto entries = awkwardEntries();
    const auto header = auditExportCsvHeader();
    const auto first = auditExportCsvRow(entries[0]);
    for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
             {header + first + "2,\"unterminated\r\n", "not closed"},
             {header + first + "2,too,few\r\n", "10 cells"},
             {header + first + "x,\"t\",\"a\",\"s\",\"a\",\"t\",\"o\",\"d\"," + entries[1].prevHash + "," + entries[1].hash + "\r\n", "seq"},
             {header + first + "2,\"t\",\"a\",\"s\",\"a\",\"t\",\"o\",\"d\",nothex,nothex\r\n", "hex"},
             {header + first + std::string(2 * 1024 * 1024, 'x') + "\r\n", "longer than"},
         }) {
        INFO(expected);
        std::istringstream in(text);
        const auto check = verifyAuditExport(in);
        CHECK_FALSE(check.ok);
        CHECK(check.firstBadSeq == 2);
        CHECK_THAT(check.problem, Contains("line 3") && Contains(expected));
    }
    for (const std::string& notAnExport : {std::string("seq,time\r\n1,2\r\n"), std::string("\xEF\xBB\xBF{}"),
                                           std::string("{\"head\": 1}"), std::string(64, '\0')}) {
        std::istringstream in(notAnExport);
        CHECK_THROWS_AS(verifyAuditExport(in), AuditExportFormatError);
    }
    std::istringstream empty("");
    const auto nothing = verifyAuditExport(empty);
    CHECK_FALSE(nothing.ok); // a JSON Lines export always ends with its head line
}
