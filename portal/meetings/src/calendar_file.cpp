#include <parley/portal/meetings/calendar_file.h>

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>
#include <Poco/UTF8Encoding.h>

#include <algorithm>

namespace parley::portal {
namespace {

constexpr std::size_t kMaxLineOctets = 75;        // RFC 5545 3.1, without the CRLF
constexpr std::size_t kMaxUtf8SequenceOctets = 4;
constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD"; // U+FFFD

bool isContinuationByte(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/// Calls `emit` with each UTF-8 sequence of `text`, and with U+FFFD for each byte that
/// does not start a well-formed one.
template <typename Emit>
void forEachCharacter(std::string_view text, Emit emit)
{
    Poco::UTF8Encoding utf8;
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    std::size_t position = 0;
    while (position < text.size()) {
        const int remaining = static_cast<int>(std::min(text.size() - position, kMaxUtf8SequenceOctets));
        const int length = utf8.sequenceLength(bytes + position, remaining);
        if (length <= 0 || length > remaining || !Poco::UTF8Encoding::isLegal(bytes + position, length)) {
            emit(kReplacementCharacter);
            ++position;
            continue;
        }
        emit(text.substr(position, static_cast<std::size_t>(length)));
        position += static_cast<std::size_t>(length);
    }
}

/// C0 controls, DEL and the C1 controls (U+0080 to U+009F), which RFC 5545 leaves out of
/// every value type.
bool isControl(std::string_view character)
{
    const auto first = static_cast<unsigned char>(character.front());
    if (character.size() == 1)
        return first < 0x20 || first == 0x7F;
    return character.size() == 2 && first == 0xC2 && static_cast<unsigned char>(character[1]) < 0xA0;
}

/// A UID or URI value: well-formed UTF-8 without any control character.
std::string plainValue(std::string_view text)
{
    std::string value;
    forEachCharacter(text, [&](std::string_view character) {
        if (!isControl(character))
            value += character;
    });
    return value;
}

std::string property(std::string_view name, std::string_view value)
{
    std::string line(name);
    line += ':';
    line += value;
    return foldedLine(line);
}

} // namespace

std::string calendarText(std::string_view text)
{
    std::string value;
    bool afterCr = false;
    forEachCharacter(text, [&](std::string_view character) {
        const char c = character.size() == 1 ? character.front() : '\0';
        // CRLF is one line break; a lone CR or LF is one too.
        if (c == '\n' && afterCr) {
            afterCr = false;
            return;
        }
        afterCr = c == '\r';
        if (c == '\r' || c == '\n')
            value += "\\n";
        else if (c == '\\' || c == ';' || c == ',') {
            value += '\\';
            value += c;
        }
        else if (c == '\t' || !isControl(character))
            value += character;
    });
    return value;
}

std::string foldedLine(std::string_view line)
{
    std::string folded;
    folded.reserve(line.size() + line.size() / (kMaxLineOctets - 1) * 3 + kCrlf.size());
    // The first line holds 75 octets; each continuation line a space and 74.
    std::size_t room = kMaxLineOctets;
    while (line.size() > room) {
        std::size_t cut = room;
        // Back up to the start of the UTF-8 sequence the cut would fall into.
        for (std::size_t steps = 0; steps < kMaxUtf8SequenceOctets - 1 && cut > 0 &&
                                    isContinuationByte(static_cast<unsigned char>(line[cut]));
             ++steps)
            --cut;
        if (cut == 0)
            cut = room; // not UTF-8 at all: cut anywhere rather than loop
        folded += line.substr(0, cut);
        folded += kCrlf;
        folded += ' ';
        line.remove_prefix(cut);
        room = kMaxLineOctets - 1;
    }
    folded += line;
    folded += kCrlf;
    return folded;
}

std::string calendarTime(std::int64_t unixSeconds)
{
    return Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(unixSeconds), "%Y%m%dT%H%M%SZ");
}

std::string calendarFile(const CalendarEvent& event)
{
    std::string file;
    file += property("BEGIN", "VCALENDAR");
    file += property("VERSION", "2.0");
    file += property("PRODID", "-//Parley//Parley Portal//EN");
    file += property("CALSCALE", "GREGORIAN");
    // PUBLISH: an event to put into one's calendar, not a request that expects a reply
    // (REQUEST would need ORGANIZER and ATTENDEEs, which the portal does not know).
    file += property("METHOD", "PUBLISH");
    file += property("BEGIN", "VEVENT");
    file += property("UID", plainValue(event.uid));
    file += property("DTSTAMP", calendarTime(event.stamp));
    file += property("DTSTART", calendarTime(event.start));
    file += property("DTEND", calendarTime(event.end));
    file += property("SUMMARY", calendarText(event.summary));
    file += property("DESCRIPTION", calendarText(event.description));
    file += property("LOCATION", calendarText(event.location));
    file += property("URL", plainValue(event.url));
    file += property("END", "VEVENT");
    file += property("END", "VCALENDAR");
    return file;
}

} // namespace parley::portal
