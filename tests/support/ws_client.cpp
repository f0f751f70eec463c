#include "ws_client.h"

#include <Poco/JSON/Parser.h>

#include <sstream>

#include <openssl/rand.h>

#include <stdexcept>

namespace parley::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string handshake(const std::string& cookie, const std::string& extraHeaders)
{
    std::string request =
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    if (!cookie.empty())
        request += "Cookie: " + cookie + "\r\n";
    return request + extraHeaders + "\r\n";
}

std::string readHeaders(TlsClient& tls, std::string& rest)
{
    std::string data;
    char chunk[4096];
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (data.find("\r\n\r\n") == std::string::npos && Clock::now() < deadline) {
        const int n = tls.readSome(chunk, sizeof chunk, std::chrono::milliseconds(500));
        if (n == 0)
            break;
        if (n > 0)
            data.append(chunk, static_cast<std::size_t>(n));
    }
    const auto end = data.find("\r\n\r\n");
    if (end == std::string::npos)
        return data;
    rest = data.substr(end + 4);
    return data.substr(0, end + 4);
}

} // namespace

WsClient::WsClient(std::uint16_t port, const std::string& cookie, const std::string& extraHeaders,
                   const std::string& sourceAddress)
    : tls_(std::make_unique<TlsClient>(port, TlsOptions{}, sourceAddress))
{
    tls_->write(handshake(cookie, extraHeaders));
    const auto headers = readHeaders(*tls_, buffer_);
    const auto response = parseHttpResponse(headers);
    if (response.status != 101)
        throw std::runtime_error("WebSocket handshake refused: " + headers.substr(0, 300) +
                                 buffer_.substr(0, 300));
}

HttpResponse WsClient::refusedHandshake(std::uint16_t port, const std::string& cookie,
                                        const std::string& extraHeaders, const std::string& sourceAddress)
{
    TlsClient tls(port, TlsOptions{}, sourceAddress);
    tls.write(handshake(cookie, extraHeaders));
    std::string rest;
    auto headers = readHeaders(tls, rest);
    auto response = parseHttpResponse(headers);
    if (response.status == 101)
        return HttpResponse{};
    // The JSON error body follows the headers.
    const auto length = response.header("content-length");
    std::size_t wanted = length.empty() ? 0 : std::stoul(length);
    char chunk[4096];
    while (rest.size() < wanted) {
        const int n = tls.readSome(chunk, sizeof chunk, std::chrono::seconds(5));
        if (n <= 0)
            break;
        rest.append(chunk, static_cast<std::size_t>(n));
    }
    response.body = rest;
    return response;
}

std::string WsClient::frame(int opcode, const std::string& payload, bool fin)
{
    std::string frame;
    frame += static_cast<char>((fin ? 0x80 : 0x00) | (opcode & 0x0f));
    const auto size = payload.size();
    if (size < 126) {
        frame += static_cast<char>(0x80 | size);
    }
    else if (size < 65536) {
        frame += static_cast<char>(0x80 | 126);
        frame += static_cast<char>(size >> 8);
        frame += static_cast<char>(size & 0xff);
    }
    else {
        frame += static_cast<char>(0x80 | 127);
        for (int shift = 56; shift >= 0; shift -= 8)
            frame += static_cast<char>((size >> shift) & 0xff);
    }
    unsigned char mask[4];
    RAND_bytes(mask, sizeof mask);
    frame.append(reinterpret_cast<const char*>(mask), 4);
    for (std::size_t i = 0; i < size; ++i)
        frame += static_cast<char>(payload[i] ^ mask[i % 4]);
    return frame;
}

void WsClient::sendRaw(const std::string& bytes)
{
    tls_->write(bytes);
}

WsClient::Frame WsClient::receive(std::chrono::milliseconds timeout)
{
    const auto deadline = Clock::now() + timeout;
    char chunk[65536];
    for (;;) {
        // A complete server frame (unmasked) in the buffer?
        if (buffer_.size() >= 2) {
            const auto* bytes = reinterpret_cast<const unsigned char*>(buffer_.data());
            std::size_t header = 2;
            std::uint64_t length = bytes[1] & 0x7f;
            if (length == 126 && buffer_.size() >= 4) {
                length = (std::uint64_t(bytes[2]) << 8) | bytes[3];
                header = 4;
            }
            else if (length == 127 && buffer_.size() >= 10) {
                length = 0;
                for (int i = 2; i < 10; ++i)
                    length = (length << 8) | bytes[i];
                header = 10;
            }
            if ((bytes[1] & 0x7f) < 126 || header > 2) {
                if (buffer_.size() >= header + length) {
                    const int opcode = bytes[0] & 0x0f;
                    Frame frame{Frame::Kind::Text, buffer_.substr(header, length), 0};
                    buffer_.erase(0, header + length);
                    switch (opcode) {
                    case 1:
                        return frame;
                    case 2:
                        frame.kind = Frame::Kind::Binary;
                        return frame;
                    case 8:
                        frame.kind = Frame::Kind::Close;
                        if (frame.payload.size() >= 2)
                            frame.closeCode = (static_cast<unsigned char>(frame.payload[0]) << 8) |
                                              static_cast<unsigned char>(frame.payload[1]);
                        return frame;
                    case 9:
                        frame.kind = Frame::Kind::Ping;
                        if (answerPings_)
                            sendFrame(10, frame.payload);
                        return frame;
                    case 10:
                        frame.kind = Frame::Kind::Pong;
                        return frame;
                    default:
                        throw std::runtime_error("server sent opcode " + std::to_string(opcode));
                    }
                }
            }
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            return Frame{Frame::Kind::Timeout, {}, 0};
        const int n = tls_->readSome(chunk, sizeof chunk, left);
        if (n == 0)
            return Frame{Frame::Kind::Closed, {}, 0};
        if (n > 0)
            buffer_.append(chunk, static_cast<std::size_t>(n));
    }
}

Poco::JSON::Object::Ptr WsClient::expect(const std::string& type, std::chrono::milliseconds timeout)
{
    for (auto it = kept_.begin(); it != kept_.end(); ++it)
        if ((*it)->optValue<std::string>("type", "") == type) {
            auto found = *it;
            kept_.erase(it);
            return found;
        }
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            return nullptr;
        const auto frame = receive(left);
        if (frame.kind == Frame::Kind::Timeout || frame.kind == Frame::Kind::Closed ||
            frame.kind == Frame::Kind::Close) {
            // Put the close frame back for closeCode().
            if (frame.kind == Frame::Kind::Close)
                buffer_.insert(0, frame.payload.size() >= 2
                                      ? std::string("\x88\x02", 2) + frame.payload.substr(0, 2)
                                      : std::string("\x88\x00", 2));
            return nullptr;
        }
        if (frame.kind != Frame::Kind::Text)
            continue;
        auto message = Poco::JSON::Parser().parse(frame.payload).extract<Poco::JSON::Object::Ptr>();
        if (message->optValue<std::string>("type", "") == type)
            return message;
        kept_.push_back(message);
    }
}

bool WsClient::receives(const std::string& type, std::chrono::milliseconds timeout)
{
    return expect(type, timeout) != nullptr;
}

int WsClient::closeCode(std::chrono::milliseconds timeout)
{
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            return 0;
        const auto frame = receive(left);
        if (frame.kind == Frame::Kind::Close)
            return frame.closeCode;
        if (frame.kind == Frame::Kind::Closed)
            return 1006;
        if (frame.kind == Frame::Kind::Timeout)
            return 0;
    }
}

Poco::JSON::Object::Ptr WsClient::join(const std::string& fields)
{
    return request(R"({"type":"join")" + (fields.empty() ? "" : "," + fields) + "}");
}

Poco::JSON::Object::Ptr WsClient::resume(std::int64_t roomId, const std::string& token)
{
    Poco::JSON::Object message;
    message.set("type", "resume");
    message.set("roomId", roomId);
    message.set("token", token);
    std::ostringstream text;
    message.stringify(text);
    return request(text.str());
}

Poco::JSON::Object::Ptr WsClient::request(const std::string& text)
{
    sendText(text);
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < deadline) {
        for (auto it = kept_.begin(); it != kept_.end(); ++it) {
            const auto type = (*it)->optValue<std::string>("type", "");
            if (type == "joined" || type == "lobby.waiting" || type == "error") {
                auto found = *it;
                kept_.erase(it);
                return found;
            }
        }
        const auto frame = receive(std::chrono::milliseconds(200));
        if (frame.kind == Frame::Kind::Closed || frame.kind == Frame::Kind::Close)
            return nullptr;
        if (frame.kind == Frame::Kind::Text)
            kept_.push_back(Poco::JSON::Parser().parse(frame.payload).extract<Poco::JSON::Object::Ptr>());
    }
    return nullptr;
}

} // namespace parley::test
