#pragma once

#include <parley/portal/meetings/meeting_handler_services.h>

namespace parley::portal {

/// GET /ws: upgrades to a WebSocket and hands it to the signaling reactor, which runs the
/// signaling protocol on it until it closes; the request's thread is free at once.
/// Before the upgrade it refuses (as JSON errors) a request that is not a WebSocket
/// handshake (426), one from a foreign Origin (403), and one beyond the connection limits
/// (503 in total, 429 per address).
class SignalingHandler : public MeetingHandler
{
public:
    using MeetingHandler::MeetingHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

} // namespace parley::portal
