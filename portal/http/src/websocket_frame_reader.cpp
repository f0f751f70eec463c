#include <parley/portal/http/websocket_frame_reader.h>

namespace parley::portal {
namespace {

constexpr int kProtocolError = 1002;
constexpr int kMessageTooBig = 1009;
constexpr std::size_t kMaxControlPayload = 125;

enum Opcode : unsigned
{
    kContinuation = 0x0,
    kText = 0x1,
    kBinary = 0x2,
    kClose = 0x8,
    kPing = 0x9,
    kPong = 0xA,
};

[[noreturn]] void refuse(int code, const std::string& reason)
{
    throw WebSocketProtocolError(code, reason);
}

/// RFC 6455 7.4: the codes an endpoint may send. 1005, 1006 and 1015 are for reporting
/// only and never appear on the wire.
bool closeCodeAllowed(int code)
{
    if (code >= 3000 && code <= 4999)
        return true;
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}

} // namespace

WebSocketFrameReader::WebSocketFrameReader(std::size_t maxMessageBytes) : maxMessageBytes_(maxMessageBytes) {}

void WebSocketFrameReader::feed(std::string_view bytes)
{
    // Drop what was read before growing, so the buffer never holds more than the frame
    // being read plus one receive.
    if (consumed_ > 0 && (consumed_ == buffer_.size() || consumed_ >= 16384)) {
        buffer_.erase(0, consumed_);
        consumed_ = 0;
    }
    buffer_.append(bytes);
}

std::optional<WebSocketMessage> WebSocketFrameReader::next()
{
    for (;;) {
        const auto available = buffer_.size() - consumed_;
        if (available < 2)
            return std::nullopt;
        const auto* head = reinterpret_cast<const unsigned char*>(buffer_.data() + consumed_);
        const bool fin = head[0] & 0x80;
        if (head[0] & 0x70)
            refuse(kProtocolError, "reserved bits set in a frame (no extension was agreed)");
        const unsigned opcode = head[0] & 0x0f;
        if (!(head[1] & 0x80))
            refuse(kProtocolError, "a client frame without a mask");
        std::uint64_t length = head[1] & 0x7f;
        std::size_t headerSize = 2;
        if (length == 126) {
            headerSize = 4;
            if (available < headerSize)
                return std::nullopt;
            length = std::uint64_t(head[2]) << 8 | head[3];
        }
        else if (length == 127) {
            headerSize = 10;
            if (available < headerSize)
                return std::nullopt;
            length = 0;
            for (int i = 2; i < 10; ++i)
                length = length << 8 | head[i];
            if (length >> 63)
                refuse(kProtocolError, "a frame length with its highest bit set");
        }
        const bool control = opcode & 0x8;
        switch (opcode) {
        case kContinuation:
        case kText:
        case kBinary:
        case kClose:
        case kPing:
        case kPong:
            break;
        default:
            refuse(kProtocolError, "a frame with a reserved opcode");
        }
        if (control && !fin)
            refuse(kProtocolError, "a fragmented control frame");
        if (control && length > kMaxControlPayload)
            refuse(kProtocolError, "a control frame longer than 125 bytes");
        if (!control) {
            if (opcode == kContinuation && !fragmented_)
                refuse(kProtocolError, "a continuation frame without a message to continue");
            if (opcode != kContinuation && fragmented_)
                refuse(kProtocolError, "a new message started inside a fragmented one");
            const std::uint64_t sofar = opcode == kContinuation ? message_.size() : 0;
            if (length > maxMessageBytes_ || sofar + length > maxMessageBytes_)
                refuse(kMessageTooBig, "a message longer than the limit of " + std::to_string(maxMessageBytes_) +
                                           " bytes");
        }
        headerSize += 4; // the mask
        if (available < headerSize + length)
            return std::nullopt;

        const unsigned char* mask = head + headerSize - 4;
        const char* data = buffer_.data() + consumed_ + headerSize;
        consumed_ += headerSize + static_cast<std::size_t>(length);
        std::string payload(data, static_cast<std::size_t>(length));
        for (std::size_t i = 0; i < payload.size(); ++i)
            payload[i] = static_cast<char>(payload[i] ^ mask[i % 4]);

        if (control) {
            WebSocketMessage message;
            if (opcode == kClose) {
                message.kind = WebSocketMessage::Kind::Close;
                if (payload.size() == 1)
                    refuse(kProtocolError, "a close frame with a one-byte status code");
                message.closeCode = 1005;
                if (payload.size() >= 2) {
                    message.closeCode = static_cast<unsigned char>(payload[0]) << 8 | static_cast<unsigned char>(payload[1]);
                    if (!closeCodeAllowed(message.closeCode))
                        refuse(kProtocolError, "a close frame with the status code " +
                                                   std::to_string(message.closeCode) + ", which may not be sent");
                    payload.erase(0, 2);
                }
            }
            else
                message.kind = opcode == kPing ? WebSocketMessage::Kind::Ping : WebSocketMessage::Kind::Pong;
            message.payload = std::move(payload);
            return message;
        }
        if (opcode != kContinuation) {
            fragmentedKind_ = opcode == kText ? WebSocketMessage::Kind::Text : WebSocketMessage::Kind::Binary;
            message_ = std::move(payload);
        }
        else
            message_ += payload;
        fragmented_ = !fin;
        if (fragmented_)
            continue;
        WebSocketMessage message;
        message.kind = fragmentedKind_;
        message.payload = std::move(message_);
        message_.clear();
        return message;
    }
}

} // namespace parley::portal
