#include <parley/loadgen/signaling_client.h>

#include <parley/loadgen/portal_client.h>

#include <Poco/Buffer.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/Net/NetException.h>

#include <sstream>

namespace parley::loadgen {

SignalingClient::SignalingClient(const PortalClient& portal, bool withSession)
{
    Poco::Net::HTTPSClientSession session(portal.host(), portal.port(), portal.tls());
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/ws", Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Origin", portal.origin());
    if (withSession) {
        Poco::Net::NameValueCollection cookies;
        cookies.add("__Host-parley_session", portal.sessionToken());
        request.setCookies(cookies);
    }
    Poco::Net::HTTPResponse response;
    try {
        socket_ = std::make_unique<Poco::Net::WebSocket>(session, request, response);
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("the signaling handshake was refused (HTTP " + std::to_string(response.getStatus()) +
                                 " " + response.getReason() + "): " + e.displayText());
    }
}

SignalingClient::~SignalingClient() = default;

void SignalingClient::send(const Poco::JSON::Object& message)
{
    std::ostringstream text;
    message.stringify(text);
    const auto bytes = text.str();
    try {
        socket_->sendFrame(bytes.data(), static_cast<int>(bytes.size()), Poco::Net::WebSocket::FRAME_TEXT);
    } catch (const Poco::Exception& e) {
        throw SignalingClosed("sending on the signaling connection failed: " + e.displayText());
    }
}

Poco::JSON::Object::Ptr SignalingClient::receive(std::chrono::milliseconds timeout)
{
    socket_->setReceiveTimeout(Poco::Timespan(static_cast<long>(timeout.count()) * 1000));
    Poco::Buffer<char> buffer(0);
    for (;;) {
        int flags = 0;
        int length = 0;
        buffer.resize(0);
        try {
            length = socket_->receiveFrame(buffer, flags);
        } catch (const Poco::TimeoutException&) {
            return nullptr;
        } catch (const Poco::Exception& e) {
            throw SignalingClosed("the signaling connection broke: " + e.displayText());
        }
        const int opcode = flags & Poco::Net::WebSocket::FRAME_OP_BITMASK;
        if (length == 0 && flags == 0)
            throw SignalingClosed("the server ended the signaling connection");
        if (opcode == Poco::Net::WebSocket::FRAME_OP_CLOSE) {
            int code = 0;
            if (length >= 2)
                code = static_cast<unsigned char>(buffer[0]) << 8 | static_cast<unsigned char>(buffer[1]);
            throw SignalingClosed("the server closed the signaling connection (" + std::to_string(code) + ")");
        }
        if (opcode == Poco::Net::WebSocket::FRAME_OP_PING) {
            socket_->sendFrame(buffer.begin(), length,
                               static_cast<int>(Poco::Net::WebSocket::FRAME_FLAG_FIN) |
                                   static_cast<int>(Poco::Net::WebSocket::FRAME_OP_PONG));
            continue;
        }
        if (opcode != Poco::Net::WebSocket::FRAME_OP_TEXT)
            continue;
        try {
            return Poco::JSON::Parser().parse(std::string(buffer.begin(), static_cast<std::size_t>(length)))
                .extract<Poco::JSON::Object::Ptr>();
        } catch (const Poco::Exception& e) {
            throw SignalingClosed("the server sent a message that is not a JSON object: " + e.displayText());
        }
    }
}

void SignalingClient::close()
{
    try {
        socket_->shutdown(Poco::Net::WebSocket::WS_NORMAL_CLOSE);
        socket_->close();
    } catch (const Poco::Exception&) {
        // Already gone: nothing is left to close.
    }
}

} // namespace parley::loadgen
