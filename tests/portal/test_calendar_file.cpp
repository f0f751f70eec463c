// The iCalendar encoder (calendar_file.h): escaping, folding, and hostile meeting titles.
#include <parley/portal/meetings/calendar_file.h>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace parley::portal;

namespace {

/// The physical lines of a file (split at CRLF); fails the test on a bare CR or LF.
std::vector<std::string> physicalLines(const std::string& file)
{
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < file.size()) {
        const auto end = file.find("\r\n", start);
        REQUIRE(end != std::string::npos); // every line, the last included, ends in CRLF
        const auto line = file.substr(start, end - start);
        CHECK(line.find('\r') == std::string::npos);
        CHECK(line.find('\n') == std::string::npos);
        lines.push_back(line);
        start = end + 2;
    }
    return lines;
}

/// The content lines after unfolding (RFC 5545 3.1: a CRLF followed by one space goes).
std::vector<std::string> contentLines(const std::string& file)
{
    std::vector<std::string> lines;
    for (const auto& line : physicalLines(file)) {
        if (!line.empty() && line.front() == ' ') {
            REQUIRE_FALSE(lines.empty());
            lines.back() += line.substr(1);
        }
        else
            lines.push_back(line);
    }
    return lines;
}

bool startsUtf8Sequence(unsigned char c)
{
    return (c & 0xC0) != 0x80;
}

/// Every physical line is at most 75 octets and begins at a UTF-8 character boundary.
void checkFolding(const std::string& file)
{
    for (const auto& line : physicalLines(file)) {
        INFO(line);
        CHECK(line.size() <= 75);
        const std::size_t first = !line.empty() && line.front() == ' ' ? 1 : 0;
        if (line.size() > first)
            CHECK(startsUtf8Sequence(static_cast<unsigned char>(line[first])));
    }
}

CalendarEvent event(const std::string& title)
{
    CalendarEvent e;
    e.uid = "meeting-482913375@meet.example.org";
    e.stamp = 1795440000;
    e.start = 1795442400; // 2026-11-23T14:00:00Z
    e.end = 1795446000;
    e.summary = title;
    e.description = "Join: https://meet.example.org/join/abc\nMeeting ID: 482913375\nPIN: 0042\n";
    e.location = "https://meet.example.org/join/abc";
    e.url = "https://meet.example.org/join/abc";
    return e;
}

/// The content lines whose name (before ':' or ';') is `name`.
std::vector<std::string> properties(const std::vector<std::string>& lines, const std::string& name)
{
    std::vector<std::string> found;
    for (const auto& line : lines)
        if (line.rfind(name + ":", 0) == 0 || line.rfind(name + ";", 0) == 0)
            found.push_back(line);
    return found;
}

} // namespace

TEST_CASE("TEXT values escape backslash, semicolon, comma and line breaks")
{
    CHECK(calendarText("Ward round") == "Ward round");
    CHECK(calendarText(R"(a\b;c,d)") == R"(a\\b\;c\,d)");
    CHECK(calendarText("one\ntwo") == R"(one\ntwo)");
    CHECK(calendarText("one\r\ntwo") == R"(one\ntwo)");
    CHECK(calendarText("one\rtwo") == R"(one\ntwo)");
    CHECK(calendarText("one\n\ntwo") == R"(one\n\ntwo)");
    CHECK(calendarText("tab\there") == "tab\there");
    CHECK(calendarText(std::string("nul\0bell\a del\x7F c1\xC2\x85.", 20)) == "nulbell del c1.");
    CHECK(calendarText("caf\xC3\xA9 \xE2\x82\xAC") == "caf\xC3\xA9 \xE2\x82\xAC"); // UTF-8 kept
    CHECK(calendarText("bad \xFF\xC3 end") == "bad \xEF\xBF\xBD\xEF\xBF\xBD end");  // U+FFFD
    CHECK(calendarText("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); // a surrogate is not UTF-8
}

TEST_CASE("Content lines fold at 75 octets, continuation lines start with a space")
{
    CHECK(foldedLine("SUMMARY:short") == "SUMMARY:short\r\n");
    const std::string exact = "SUMMARY:" + std::string(75 - 8, 'x');
    CHECK(foldedLine(exact) == exact + "\r\n");
    const std::string longer = "SUMMARY:" + std::string(200, 'x');
    const auto folded = foldedLine(longer);
    CHECK(folded.substr(0, 77) == longer.substr(0, 75) + "\r\n");
    CHECK(folded.substr(77, 75) == " " + longer.substr(75, 74));
    checkFolding(folded);
    CHECK(contentLines(folded) == std::vector<std::string>{longer});
}

TEST_CASE("Folding never splits a UTF-8 sequence, whatever its length")
{
    for (const std::string character : {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"}) {
        for (std::size_t prefix = 0; prefix < 4; ++prefix) {
            std::string line = "SUMMARY:" + std::string(prefix, 'p');
            for (int i = 0; i < 60; ++i)
                line += character;
            INFO(character.size() << "-octet characters after " << prefix << " ASCII");
            const auto folded = foldedLine(line);
            checkFolding(folded);
            CHECK(contentLines(folded) == std::vector<std::string>{line});
        }
    }
}

TEST_CASE("A calendar file is one VEVENT in a VCALENDAR with CRLF lines, UTC times and every field")
{
    const auto file = calendarFile(event("Ward round; weekly, room 3"));
    checkFolding(file);
    const auto lines = contentLines(file);
    REQUIRE(lines.size() >= 16);
    CHECK(lines.front() == "BEGIN:VCALENDAR");
    CHECK(lines.back() == "END:VCALENDAR");
    CHECK(properties(lines, "VERSION") == std::vector<std::string>{"VERSION:2.0"});
    CHECK(properties(lines, "METHOD") == std::vector<std::string>{"METHOD:PUBLISH"});
    CHECK(properties(lines, "PRODID").size() == 1);
    CHECK(properties(lines, "BEGIN") == std::vector<std::string>{"BEGIN:VCALENDAR", "BEGIN:VEVENT"});
    CHECK(properties(lines, "UID") == std::vector<std::string>{"UID:meeting-482913375@meet.example.org"});
    CHECK(properties(lines, "DTSTART") == std::vector<std::string>{"DTSTART:20261123T140000Z"});
    CHECK(properties(lines, "DTEND") == std::vector<std::string>{"DTEND:20261123T150000Z"});
    CHECK(properties(lines, "DTSTAMP") == std::vector<std::string>{"DTSTAMP:20261123T132000Z"});
    CHECK(properties(lines, "SUMMARY") == std::vector<std::string>{R"(SUMMARY:Ward round\; weekly\, room 3)"});
    CHECK(properties(lines, "DESCRIPTION") ==
          std::vector<std::string>{R"(DESCRIPTION:Join: https://meet.example.org/join/abc\nMeeting ID: 482913375\nPIN: 0042\n)"});
    CHECK(properties(lines, "LOCATION") == std::vector<std::string>{"LOCATION:https://meet.example.org/join/abc"});
    CHECK(properties(lines, "URL") == std::vector<std::string>{"URL:https://meet.example.org/join/abc"});
    CHECK(calendarTime(0) == "19700101T000000Z");
}

TEST_CASE("A hostile title cannot add a property or break the file")
{
    const std::vector<std::string> titles{
        "x\r\nATTENDEE:mailto:evil@example.org",
        "x\nATTENDEE:mailto:evil@example.org",
        "x\rATTENDEE:mailto:evil@example.org",
        "x\r\n ATTENDEE:mailto:evil@example.org", // a folded continuation, if the CRLF survived
        "x\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:second event",
        "\\\r\nATTENDEE:evil", // an escaped backslash right before the break
        std::string("x\0\r\nATTENDEE:evil", 17),
        "x\xC2\x85" "ATTENDEE:evil", // NEL, a C1 line break
    };
    for (const auto& title : titles) {
        INFO(title);
        auto hostile = event(title);
        hostile.uid = "meeting-1@host\r\nATTENDEE:evil";
        hostile.url = "https://host/join/abc\r\nATTENDEE:evil";
        const auto file = calendarFile(hostile);
        checkFolding(file);
        const auto lines = contentLines(file);
        CHECK(properties(lines, "ATTENDEE").empty());
        CHECK(properties(lines, "BEGIN").size() == 2);
        CHECK(properties(lines, "END").size() == 2);
        CHECK(properties(lines, "SUMMARY").size() == 1);
        CHECK(properties(lines, "UID") == std::vector<std::string>{"UID:meeting-1@hostATTENDEE:evil"});
    }
}

TEST_CASE("A very long multi-byte title is folded at character boundaries and unfolds to the escaped title")
{
    std::string title;
    for (int i = 0; i < 200; ++i)
        title += i % 3 == 0 ? "\xE6\x97\xA5" : i % 3 == 1 ? "\xF0\x9F\x93\x85" : "\xC3\xA9,"; // 日 📅 é,
    const auto file = calendarFile(event(title));
    checkFolding(file);
    const auto summary = properties(contentLines(file), "SUMMARY");
    REQUIRE(summary.size() == 1);
    CHECK(summary[0] == "SUMMARY:" + calendarText(title));
    CHECK(physicalLines(file).size() > 20);
}
