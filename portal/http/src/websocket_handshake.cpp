#include <parley/portal/http/websocket_handshake.h>

#include <parley/portal/http/http_error.h>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Buffer.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/SHA1Engine.h>

#include <sstream>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

[[noreturn]] void refuse(const std::string& why)
{
    throw HttpError(Status::HTTP_BAD_REQUEST, "bad_handshake", "the WebSocket handshake is not valid: " + why);
}

std::size_t decodedSize(const std::string& base64)
{
    // Only the alphabet and the padding: the decoder would skip anything else silently.
    for (const char c : base64)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=')
            return 0;
    std::istringstream in(base64);
    Poco::Base64Decoder decoder(in);
    std::string bytes;
    try {
        char c;
        while (decoder.get(c))
            bytes += c;
    }
    catch (const Poco::DataFormatException&) {
        return 0;
    }
    return bytes.size();
}

} // namespace

std::string webSocketAcceptKey(const std::string& clientKey)
{
    Poco::SHA1Engine sha1;
    sha1.update(clientKey + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    const auto& digest = sha1.digest();
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.write(reinterpret_cast<const char*>(digest.data()), static_cast<std::streamsize>(digest.size()));
    encoder.close();
    return out.str();
}

AcceptedWebSocket acceptWebSocket(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto version = request.get("Sec-WebSocket-Version", "");
    if (version != "13")
        refuse(version.empty() ? "Sec-WebSocket-Version is missing" : "only version 13 is spoken, not " + version.substr(0, 20));
    const auto key = request.get("Sec-WebSocket-Key", "");
    if (key.empty())
        refuse("Sec-WebSocket-Key is missing");
    if (key.size() != 24 || decodedSize(key) != 16)
        refuse("Sec-WebSocket-Key is not 16 bytes in base64");
    auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
    if (!impl)
        throw std::logic_error("acceptWebSocket needs the request of Poco's HTTP server");

    response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_SWITCHING_PROTOCOLS);
    response.set("Upgrade", "websocket");
    response.set("Connection", "Upgrade");
    response.set("Sec-WebSocket-Accept", webSocketAcceptKey(key));
    response.setContentLength(Poco::Net::HTTPResponse::UNKNOWN_CONTENT_LENGTH);
    response.send().flush();

    AcceptedWebSocket accepted{impl->detachSocket(), {}};
    Poco::Buffer<char> early(0);
    impl->session().drainBuffer(early);
    accepted.early.assign(early.begin(), early.size());
    return accepted;
}

} // namespace parley::portal
