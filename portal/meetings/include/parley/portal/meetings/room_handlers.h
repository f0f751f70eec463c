#pragma once

#include <parley/portal/meetings/meeting_handler_services.h>

namespace parley::portal {

/// `/api/v1/rooms` (signed in): GET lists the rooms the caller owns or moderates (their
/// personal room first, created on first use); POST schedules a meeting.
class RoomsHandler : public MeetingHandler
{
public:
    using MeetingHandler::MeetingHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `/api/v1/rooms/{id}`: GET, PATCH (settings; moderators list by the owner only), DELETE
/// (scheduled meetings, by the owner). Rooms the caller may not manage are 404.
class RoomHandler : public MeetingHandler
{
public:
    using MeetingHandler::MeetingHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `POST /api/v1/rooms/{id}/link`: a new link secret; the old link stops working at once.
class RoomLinkHandler : public MeetingHandler
{
public:
    using MeetingHandler::MeetingHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `/api/v1/rooms/{id}/invitations`: GET lists, POST {name} issues a key (shown once).
class InvitationsHandler : public MeetingHandler
{
public:
    using MeetingHandler::MeetingHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `DELETE /api/v1/rooms/{id}/invitations/{invitation}`: revokes the key and removes whoever
/// is in the meeting with it.
class InvitationHandler : public MeetingHandler
{
public:
    using MeetingHandler::MeetingHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

} // namespace parley::portal
