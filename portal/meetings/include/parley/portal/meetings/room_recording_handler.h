#pragma once

#include <parley/portal/meetings/meeting_handler_services.h>

namespace parley::portal {

/// `POST /api/v1/rooms/{id}/recording` {"action": "start"|"stop"}: for whoever may manage
/// the room, while its meeting runs; participants are told as with the signaling messages.
class RoomRecordingHandler : public MeetingHandler
{
public:
    using MeetingHandler::MeetingHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

} // namespace parley::portal
