#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/StreamSocket.h>

#include <string>

namespace parley::portal {

/// A connection taken over from the HTTP server after a WebSocket handshake.
struct AcceptedWebSocket
{
    Poco::Net::StreamSocket socket;
    /// Bytes the client sent after its handshake that the HTTP server had already read.
    std::string early;
};

/// Answers a WebSocket opening handshake (RFC 6455 4.2.2) with 101 Switching Protocols and
/// takes the connection away from the HTTP server: from here the socket is the caller's,
/// and the server's thread is free once the handler returns. The caller has checked the
/// Upgrade and Connection headers and the origin. Throws HttpError 400 `bad_handshake`
/// when the version is not 13 or the key is not 16 bytes in base64, answering nothing.
AcceptedWebSocket acceptWebSocket(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

/// The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key (RFC 6455 4.2.2).
std::string webSocketAcceptKey(const std::string& clientKey);

} // namespace parley::portal
