#pragma once

#include "tls_client.h"

#include <Poco/JSON/Object.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace parley::test {

/// A WebSocket client written for the tests, over a real TLS connection: it can send
/// exactly the frames a test wants, hostile ones included.
class WsClient
{
public:
    /// Connects to /ws and completes the handshake; throws std::runtime_error (with the
    /// server's answer) when the server does not switch protocols. `cookie` is sent as the
    /// Cookie header when not empty.
    explicit WsClient(std::uint16_t port, const std::string& cookie = {},
                      const std::string& extraHeaders = {}, const std::string& sourceAddress = {});

    /// The server's answer to a handshake it refused (status 0 if it switched protocols).
    static HttpResponse refusedHandshake(std::uint16_t port, const std::string& cookie = {},
                                         const std::string& extraHeaders = {},
                                         const std::string& sourceAddress = {});

    /// The bytes of a masked client frame with this opcode (1 text, 2 binary, 8 close,
    /// 9 ping, 0 continuation).
    static std::string frame(int opcode, const std::string& payload, bool fin = true);
    void sendFrame(int opcode, const std::string& payload, bool fin = true)
    {
        sendRaw(frame(opcode, payload, fin));
    }
    void sendText(const std::string& text) { sendFrame(1, text); }
    /// Bytes as they are, for frames a well-behaved client would never send.
    void sendRaw(const std::string& bytes);

    struct Frame
    {
        enum class Kind
        {
            Text,
            Binary,
            Close,
            Ping,
            Pong,
            Timeout,
            Closed, ///< the connection ended without a close frame
        } kind;
        std::string payload;
        int closeCode = 0;
    };
    /// Whether receive() answers pings (a test of the server's idle timeout turns it off).
    void answerPings(bool answer) { answerPings_ = answer; }

    /// The next frame (pings are answered, unless turned off, and returned too).
    Frame receive(std::chrono::milliseconds timeout = std::chrono::seconds(5));

    /// Reads until a text message of this `type` arrives; nullptr on timeout or close.
    /// Messages of other types are kept, in order, for later calls.
    Poco::JSON::Object::Ptr expect(const std::string& type,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(5));
    /// Whether a message of this type arrives within `timeout` (kept messages included).
    bool receives(const std::string& type, std::chrono::milliseconds timeout);
    /// Reads until the server's close frame: its code, 1006 if the connection just ended,
    /// 0 on timeout.
    int closeCode(std::chrono::milliseconds timeout = std::chrono::seconds(5));

    /// Sends {"type":"join", ...fields} and returns the first of joined, lobby.waiting or
    /// error (nullptr if none came).
    Poco::JSON::Object::Ptr join(const std::string& fields);
    /// Sends {"type":"resume","roomId":...,"token":...} and returns the first of joined or
    /// error (nullptr if none came).
    Poco::JSON::Object::Ptr resume(std::int64_t roomId, const std::string& token);
    /// Sends `text` and returns the first of joined, lobby.waiting or error that arrives
    /// (nullptr if none came within 5 s or the connection closed).
    Poco::JSON::Object::Ptr request(const std::string& text);

private:
    bool answerPings_ = true;
    std::unique_ptr<TlsClient> tls_;
    std::string buffer_;
    std::vector<Poco::JSON::Object::Ptr> kept_;
};

} // namespace parley::test
