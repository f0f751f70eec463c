#pragma once

#include <parley/portal/meetings/calendar_file.h>

#include <cstdint>
#include <optional>
#include <string>

namespace parley::storage {
struct Room;
}

namespace parley::portal {

/// What an invitation to a room tells people, in whatever form it is sent: a text to paste
/// into mail, or a calendar entry.
struct MeetingInvitation
{
    std::string title;
    std::string joinUrl;                  ///< absolute: https://host/join/<link>
    std::int64_t meetingId = 0;
    std::string pin;                      ///< "" when the room has none
    std::optional<std::int64_t> startsAt; ///< Unix seconds; meetings only
    std::optional<std::int64_t> endsAt;
    bool guestsAllowed = true;
    bool waitingRoom = true;

    /// The invitation to `room`, whose join page is under `origin` (public_origin.h).
    static MeetingInvitation of(const storage::Room& room, const std::string& origin);
};

/// A plain-text invitation: a mail subject and body (LF line ends).
struct InvitationText
{
    std::string subject;
    std::string text;
};

/// Local time is UTC plus this many minutes; the zones in use lie within it.
inline constexpr int kMaxUtcOffsetMinutes = 14 * 60;

/// The text invitation: title; for a meeting its start and end in UTC (ISO 8601) and, with
/// `utcOffsetMinutes` (-840 to 840; anything else is ignored), in that local time too; then
/// how to join (joiningInstructions).
InvitationText invitationText(const MeetingInvitation& invitation, std::optional<int> utcOffsetMinutes);

/// The lines on how to join: the link, the meeting ID, the PIN (when there is one) and
/// what to expect when joining from a browser. LF line ends.
std::string joiningInstructions(const MeetingInvitation& invitation);

/// The calendar entry for a meeting (it must have a start and an end): UID
/// `meeting-<meetingId>@<host>`, the join link as URL and LOCATION, joiningInstructions as
/// DESCRIPTION, stamped `now`.
CalendarEvent calendarEvent(const MeetingInvitation& invitation, const std::string& host, std::int64_t now);

} // namespace parley::portal
