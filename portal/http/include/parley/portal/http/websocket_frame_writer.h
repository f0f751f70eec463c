#pragma once

#include <string>
#include <string_view>

namespace parley::portal {

/// Frame opcodes a server sends (RFC 6455 5.2).
enum class WebSocketOpcode : unsigned char
{
    Text = 0x1,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};

/// Appends one whole, unmasked server frame (RFC 6455 5.2) carrying `payload` to `out`.
/// Control frames (close, ping, pong) carry at most 125 bytes: a longer payload is cut.
void appendWebSocketFrame(std::string& out, WebSocketOpcode opcode, std::string_view payload);

/// Appends a close frame with `code` and as much of `reason` as fits in 123 bytes, cut
/// where a UTF-8 character starts so the reason stays valid text.
void appendWebSocketClose(std::string& out, int code, std::string_view reason);

} // namespace parley::portal
