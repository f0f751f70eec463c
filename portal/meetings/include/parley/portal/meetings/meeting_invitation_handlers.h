#pragma once

#include <parley/portal/meetings/meeting_handler_services.h>

namespace parley::portal {

/// `GET /api/v1/rooms/{id}/calendar.ics`: the meeting as an iCalendar file to import
/// (calendar_file.h), as an attachment `meeting-<meetingId>.ics`. Rooms the caller may not
/// manage are 404; a personal room, which has no times, is 409 `personal_room`.
class RoomCalendarHandler : public MeetingHandler
{
public:
    using MeetingHandler::MeetingHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `GET /api/v1/rooms/{id}/invitation-text[?offset=<minutes>]`: `{"subject", "text"}`, a
/// plain-text invitation to paste into mail (meeting_invitation.h). `offset` is how many
/// minutes local time is ahead of UTC (-840 to 840), for the times in the reader's zone;
/// 400 `invalid_request` for anything else, and for `tz` (this build has no time zone
/// database: the browser knows its offset).
class InvitationTextHandler : public MeetingHandler
{
public:
    using MeetingHandler::MeetingHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

} // namespace parley::portal
