#pragma once

#include <parley/portal/meetings/meeting_handler_services.h>

namespace parley::portal {

/// `GET /api/v1/admin/rooms?q=&kind=&page=&per_page=` (admins): every room and meeting,
/// searched by title, meeting ID or owner, paged.
class AdminRoomsHandler : public MeetingHandler
{
public:
    using MeetingHandler::MeetingHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `GET /api/v1/admin/meetings` (admins): every meeting in progress, with its owner, how
/// many are in and waiting, since when, and whether it is recorded.
class LiveMeetingsHandler : public MeetingHandler
{
public:
    using MeetingHandler::MeetingHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `/api/v1/admin/meetings/{id}` (admins): GET one meeting in progress with its people and
/// their connection quality; DELETE ends it for everyone (audited `room.end`). 404
/// `meeting_not_live` when nobody is in it.
class LiveMeetingHandler : public MeetingHandler
{
public:
    using MeetingHandler::MeetingHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `DELETE /api/v1/admin/meetings/{id}/participants/{participant}` (admins): removes one
/// person, present or waiting; their media stops at once (audited `participant.kick`).
class LiveParticipantHandler : public MeetingHandler
{
public:
    using MeetingHandler::MeetingHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

} // namespace parley::portal
