// What invitations say (meeting_invitation.h): the text to paste into mail, the calendar entry.
#include <parley/portal/meetings/meeting_invitation.h>

#include <catch2/catch.hpp>

using namespace parley::portal;
using Catch::Contains;

namespace {

MeetingInvitation wardRound()
{
    MeetingInvitation invitation;
    invitation.title = "Ward round";
    invitation.joinUrl = "https://meet.example.org/join/abc";
    invitation.meetingId = 482913375;
    invitation.pin = "0042";
    invitation.startsAt = 1795442400; // 2026-11-23T14:00:00Z, a Monday
    invitation.endsAt = 1795446000;
    return invitation;
}

} // namespace

TEST_CASE("A text invitation names the meeting, its times in UTC, the link, the meeting ID and the PIN")
{
    const auto text = invitationText(wardRound(), std::nullopt);
    CHECK(text.subject == "Invitation: Ward round");
    CHECK_THAT(text.text, Contains("Ward round\n"));
    CHECK_THAT(text.text, Contains("Starts: 2026-11-23T14:00:00Z\n"));
    CHECK_THAT(text.text, Contains("Ends:   2026-11-23T15:00:00Z\n"));
    CHECK_THAT(text.text, Contains("Join: https://meet.example.org/join/abc\n"));
    CHECK_THAT(text.text, Contains("Meeting ID: 482913375\n"));
    CHECK_THAT(text.text, Contains("PIN: 0042\n"));
    CHECK_THAT(text.text, Contains("browser"));
    CHECK_THAT(text.text, Contains("wait until a moderator"));
}

TEST_CASE("With a UTC offset the invitation also gives local times")
{
    CHECK_THAT(invitationText(wardRound(), 60).text,
               Contains("Starts: 2026-11-23T14:00:00Z (Mon 2026-11-23 15:00 UTC+01:00)"));
    CHECK_THAT(invitationText(wardRound(), -570).text,
               Contains("Starts: 2026-11-23T14:00:00Z (Mon 2026-11-23 04:30 UTC-09:30)"));
    CHECK_THAT(invitationText(wardRound(), 600).text,
               Contains("Ends:   2026-11-23T15:00:00Z (Tue 2026-11-24 01:00 UTC+10:00)"));
    CHECK_THAT(invitationText(wardRound(), 0).text, Contains("(Mon 2026-11-23 14:00 UTC)"));
    // Outside -14:00 to +14:00 there is no zone: UTC only.
    CHECK_THAT(invitationText(wardRound(), 841).text, !Contains("("));
}

TEST_CASE("A personal room's invitation has no times, and one without PIN or guests says so")
{
    auto room = wardRound();
    room.startsAt.reset();
    room.endsAt.reset();
    room.pin.clear();
    room.guestsAllowed = false;
    const auto text = invitationText(room, 60).text;
    CHECK_THAT(text, !Contains("Starts") && !Contains("Ends") && !Contains("PIN"));
    CHECK_THAT(text, Contains("Meeting ID: 482913375") && Contains("Only people with an account"));
}

TEST_CASE("The calendar entry carries the link as URL and LOCATION and the joining details as DESCRIPTION")
{
    const auto event = calendarEvent(wardRound(), "meet.example.org", 1795440000);
    CHECK(event.uid == "meeting-482913375@meet.example.org");
    CHECK(event.start == 1795442400);
    CHECK(event.end == 1795446000);
    CHECK(event.summary == "Ward round");
    CHECK(event.url == "https://meet.example.org/join/abc");
    CHECK(event.location == event.url);
    CHECK_THAT(event.description, Contains(event.url) && Contains("482913375") && Contains("PIN: 0042"));
    auto personal = wardRound();
    personal.startsAt.reset();
    CHECK_THROWS_AS(calendarEvent(personal, "meet.example.org", 0), std::logic_error);
}
