#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace parley::portal {

/// One event of an iCalendar file (RFC 5545). Times are Unix seconds.
struct CalendarEvent
{
    std::string uid;         ///< globally unique and stable: the same event imported twice is updated, not doubled
    std::int64_t stamp = 0;  ///< DTSTAMP: when this file was made
    std::int64_t start = 0;
    std::int64_t end = 0;
    std::string summary;     ///< TEXT
    std::string description; ///< TEXT; line breaks are kept (written as \n)
    std::string location;    ///< TEXT
    std::string url;         ///< URI
};

/// A complete iCalendar file: VCALENDAR (VERSION:2.0, PRODID, CALSCALE:GREGORIAN,
/// METHOD:PUBLISH) around one VEVENT with UID, DTSTAMP, DTSTART and DTEND in UTC, SUMMARY,
/// DESCRIPTION, LOCATION and URL. Lines end in CRLF and are folded at 75 octets.
///
/// Whatever the fields hold, each stays inside its own property: TEXT is escaped
/// (calendarText), and the UID and URL lose every control character, so no value can end
/// its line and start a property of its own (an ATTENDEE, say). Never throws for content.
std::string calendarFile(const CalendarEvent& event);

/// A TEXT value as RFC 5545 section 3.3.11 writes it: `\` `;` `,` escaped with a backslash,
/// each line break (CRLF, LF or a lone CR) as `\n`, other control characters (tab
/// excepted) dropped, and bytes that are not UTF-8 replaced with U+FFFD.
std::string calendarText(std::string_view text);

/// One content line (`NAME:value`, without its line end) folded as RFC 5545 section 3.1
/// asks: at most 75 octets a line, each continuation line starting with one space, never
/// inside a UTF-8 sequence; ends in CRLF. `line` must hold no CR or LF.
std::string foldedLine(std::string_view line);

/// A DATE-TIME in UTC, `20261123T140000Z`.
std::string calendarTime(std::int64_t unixSeconds);

} // namespace parley::portal
