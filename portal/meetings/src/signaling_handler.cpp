#include <parley/portal/meetings/signaling_handler.h>

#include <parley/portal/http/connection_tracker.h>

#include <parley/portal/http/http_error.h>
#include <parley/portal/http/websocket_handshake.h>
#include <parley/portal/meetings/signaling_hub.h>
#include <parley/portal/meetings/signaling_outbox.h>
#include <parley/portal/meetings/signaling_reactor.h>
#include <parley/portal/meetings/signaling_session.h>

#include <Poco/String.h>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

bool headerHasToken(const std::string& value, const std::string& token)
{
    std::size_t start = 0;
    while (start <= value.size()) {
        auto end = value.find(',', start);
        if (end == std::string::npos)
            end = value.size();
        if (Poco::icompare(Poco::trim(value.substr(start, end - start)), token) == 0)
            return true;
        start = end + 1;
    }
    return false;
}

} // namespace

void SignalingHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    auto& http = request.http;
    if (http.getMethod() != "GET" || !headerHasToken(http.get("Upgrade", ""), "websocket") ||
        !headerHasToken(http.get("Connection", ""), "upgrade"))
        throw HttpError(Status::HTTP_UPGRADE_REQUIRED, "upgrade_required",
                        "this endpoint speaks WebSocket only (docs/signaling.md)");
    // Cross-site WebSocket hijacking: a browser sends the session cookie with a WebSocket
    // handshake from any site, but always with that site's Origin.
    const auto origin = http.get("Origin", "");
    if (!origin.empty() && origin != "https://" + http.getHost())
        throw HttpError(Status::HTTP_FORBIDDEN, "csrf_failed", "the request comes from another origin");

    auto& hub = services().signalingHub;
    const auto& settings = hub.settings();
    // Room for a burst of roster updates, and a few messages of the largest size.
    auto outbox = std::make_shared<SignalingOutbox>(settings.maxMessageBytes * 4 + 1024 * 1024);
    SignalingHub::Refusal refusal = SignalingHub::Refusal::None;
    auto ticket = hub.admit(request.clientAddress, outbox, refusal);
    if (refusal == SignalingHub::Refusal::TooManyInTotal)
        throw HttpError(Status::HTTP_SERVICE_UNAVAILABLE, "too_many_connections",
                        "the server has no room for more signaling connections")
            .withRetryAfter(std::chrono::seconds(10));
    if (refusal == SignalingHub::Refusal::TooManyFromAddress)
        throw HttpError(Status::HTTP_TOO_MANY_REQUESTS, "too_many_connections",
                        "too many signaling connections from this address")
            .withRetryAfter(std::chrono::seconds(10));

    auto accepted = acceptWebSocket(http, response);
    // From here the connection is signaling's: its own limits and timeouts apply, and it
    // leaves this thread for the reactor's.
    ConnectionTracker::upgraded();
    auto session = std::make_unique<SignalingSession>(services().signaling, request.principal, request.clientAddress,
                                                      outbox);
    services().signalingReactor.adopt(std::move(accepted), outbox, std::move(session),
                                      std::move(ticket), settings);
}

} // namespace parley::portal
