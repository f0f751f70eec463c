#include <parley/portal/meetings/meeting_invitation.h>

#include <parley/portal/http/json_response.h>

#include <parley/storage/room_store.h>

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace parley::portal {
namespace {

constexpr std::int64_t kSecondsPerMinute = 60;

/// "UTC+01:00", "UTC-03:30", "UTC".
std::string offsetLabel(int minutes)
{
    if (minutes == 0)
        return "UTC";
    const int magnitude = std::abs(minutes);
    char text[16];
    std::snprintf(text, sizeof text, "UTC%c%02d:%02d", minutes < 0 ? '-' : '+', magnitude / 60, magnitude % 60);
    return text;
}

/// "Mon 2026-11-23 15:00 UTC+01:00"
std::string localTime(std::int64_t unixSeconds, int offsetMinutes)
{
    const auto shifted = Poco::Timestamp::fromEpochTime(unixSeconds + offsetMinutes * kSecondsPerMinute);
    return Poco::DateTimeFormatter::format(shifted, "%w %Y-%m-%d %H:%M ") + offsetLabel(offsetMinutes);
}

/// `offsetMinutes`: nullptr for UTC only.
std::string timeLine(const char* label, std::int64_t unixSeconds, const int* offsetMinutes)
{
    std::string line = std::string(label) + isoTime(unixSeconds);
    if (offsetMinutes)
        line += " (" + localTime(unixSeconds, *offsetMinutes) + ")";
    return line + "\n";
}

} // namespace

MeetingInvitation MeetingInvitation::of(const storage::Room& room, const std::string& origin)
{
    MeetingInvitation invitation;
    invitation.title = room.title;
    invitation.joinUrl = origin + "/join/" + room.linkSecret;
    invitation.meetingId = room.meetingId;
    invitation.pin = room.pin;
    invitation.startsAt = room.startsAt;
    invitation.endsAt = room.endsAt;
    invitation.guestsAllowed = room.guestsAllowed;
    invitation.waitingRoom = room.waitingRoom;
    return invitation;
}

std::string joiningInstructions(const MeetingInvitation& invitation)
{
    std::string text = "Join: " + invitation.joinUrl + "\n";
    text += "Meeting ID: " + std::to_string(invitation.meetingId) + "\n";
    if (!invitation.pin.empty())
        text += "PIN: " + invitation.pin + "\n";
    text += "\n";
    if (invitation.guestsAllowed) {
        text += "To join from a browser, open the link: no installation is needed. Enter your name";
        text += invitation.pin.empty() ? "" : " and the PIN";
        text += invitation.waitingRoom ? ", then wait until a moderator lets you in.\n"
                                       : " and you are in the meeting.\n";
        text += "With an account on this server, you can also sign in and join with the meeting ID.\n";
    }
    else {
        text += "Only people with an account on this server can join: open the link in a browser "
                "and sign in, or sign in and join with the meeting ID.\n";
    }
    return text;
}

InvitationText invitationText(const MeetingInvitation& invitation, std::optional<int> utcOffsetMinutes)
{
    const bool local = utcOffsetMinutes && std::abs(*utcOffsetMinutes) <= kMaxUtcOffsetMinutes;
    const int offset = local ? *utcOffsetMinutes : 0;
    InvitationText result;
    result.subject = "Invitation: " + invitation.title;
    std::string& text = result.text;
    text = invitation.title + "\n\n";
    if (invitation.startsAt && invitation.endsAt) {
        text += timeLine("Starts: ", *invitation.startsAt, local ? &offset : nullptr);
        text += timeLine("Ends:   ", *invitation.endsAt, local ? &offset : nullptr);
        text += "\n";
    }
    text += joiningInstructions(invitation);
    return result;
}

CalendarEvent calendarEvent(const MeetingInvitation& invitation, const std::string& host, std::int64_t now)
{
    if (!invitation.startsAt || !invitation.endsAt)
        throw std::logic_error("a calendar entry needs a meeting's start and end");
    CalendarEvent event;
    // The meeting ID never changes, so importing the file again updates the entry.
    event.uid = "meeting-" + std::to_string(invitation.meetingId) + "@" + host;
    event.stamp = now;
    event.start = *invitation.startsAt;
    event.end = *invitation.endsAt;
    event.summary = invitation.title;
    event.description = joiningInstructions(invitation);
    event.location = invitation.joinUrl;
    event.url = invitation.joinUrl;
    return event;
}

} // namespace parley::portal
