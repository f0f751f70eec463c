#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Net/WebSocket.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

namespace parley::loadgen {

class PortalClient;

/// The signaling connection closed (by the server, or it broke); what() says how.
class SignalingClosed : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// One participant's signaling connection: WSS to /ws as the meeting page opens it (Origin
/// of the portal, the session cookie when signed in), JSON text messages both ways. Used by
/// one thread at a time.
class SignalingClient
{
public:
    /// Connects and completes the WebSocket handshake; throws std::runtime_error with the
    /// server's status when it refuses.
    SignalingClient(const PortalClient& portal, bool withSession);
    ~SignalingClient();

    void send(const Poco::JSON::Object& message);
    /// The next JSON message within `timeout`, nullptr when none came. Answers pings. Throws
    /// SignalingClosed when the connection ends.
    Poco::JSON::Object::Ptr receive(std::chrono::milliseconds timeout);
    /// A close frame (1000), then the connection ends.
    void close();

private:
    std::unique_ptr<Poco::Net::WebSocket> socket_;
};

} // namespace parley::loadgen
