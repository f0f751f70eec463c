#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace parley::portal {

/// A client broke RFC 6455: the connection is to be closed with `code()` (1002 protocol
/// error, 1009 message too big), and `what()` says why in words a log reader can act on.
class WebSocketProtocolError : public std::runtime_error
{
public:
    WebSocketProtocolError(int code, const std::string& reason) : std::runtime_error(reason), code_(code) {}
    int code() const { return code_; }

private:
    int code_;
};

/// One thing a client said: a whole message (fragments joined) or a control frame.
struct WebSocketMessage
{
    enum class Kind
    {
        Text,
        Binary,
        Ping,
        Pong,
        Close,
    };
    Kind kind = Kind::Text;
    /// The message; a ping's or pong's application data; a close frame's reason.
    std::string payload;
    /// Close frames only: the status code the client gave, 1005 when it gave none.
    int closeCode = 0;
};

/// Reads the frames a client sends (RFC 6455 section 5) from bytes as they arrive, in any
/// pieces, and joins fragmented messages. It enforces what a server must: every frame
/// masked, no reserved bits (no extension is negotiated), known opcodes, control frames
/// whole and at most 125 bytes, well-formed close codes, continuations only inside a
/// fragmented message, a 64-bit length below 2^63. A message or frame longer than
/// `maxMessageBytes` is refused from its header, before its payload is buffered.
///
/// It holds at most one frame's bytes beyond the message being joined, so a connection's
/// memory stays near twice `maxMessageBytes` whatever a client sends.
/// After it has thrown, the reader must not be used again. Not thread-safe.
class WebSocketFrameReader
{
public:
    explicit WebSocketFrameReader(std::size_t maxMessageBytes);

    /// Adds received bytes.
    void feed(std::string_view bytes);

    /// The next whole message or control frame; std::nullopt until more bytes arrive.
    /// Throws WebSocketProtocolError on the first violation.
    std::optional<WebSocketMessage> next();

    /// Bytes received and not yet returned in a message.
    std::size_t buffered() const { return buffer_.size() - consumed_ + message_.size(); }

private:
    std::size_t maxMessageBytes_;
    std::string buffer_;       ///< received bytes; those before consumed_ are read
    std::size_t consumed_ = 0;
    std::string message_;      ///< a fragmented message's fragments so far
    bool fragmented_ = false;
    WebSocketMessage::Kind fragmentedKind_ = WebSocketMessage::Kind::Text;
};

} // namespace parley::portal
