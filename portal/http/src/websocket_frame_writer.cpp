#include <parley/portal/http/websocket_frame_writer.h>

#include <cstdint>

namespace parley::portal {

void appendWebSocketFrame(std::string& out, WebSocketOpcode opcode, std::string_view payload)
{
    if (opcode != WebSocketOpcode::Text && payload.size() > 125)
        payload = payload.substr(0, 125);
    out += static_cast<char>(0x80 | static_cast<unsigned char>(opcode));
    const std::uint64_t size = payload.size();
    if (size < 126)
        out += static_cast<char>(size);
    else if (size <= 0xffff) {
        out += static_cast<char>(126);
        out += static_cast<char>(size >> 8);
        out += static_cast<char>(size & 0xff);
    }
    else {
        out += static_cast<char>(127);
        for (int shift = 56; shift >= 0; shift -= 8)
            out += static_cast<char>((size >> shift) & 0xff);
    }
    out.append(payload);
}

void appendWebSocketClose(std::string& out, int code, std::string_view reason)
{
    if (reason.size() > 123) {
        std::size_t cut = 123;
        while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xc0) == 0x80)
            --cut;
        reason = reason.substr(0, cut);
    }
    std::string payload;
    payload += static_cast<char>((code >> 8) & 0xff);
    payload += static_cast<char>(code & 0xff);
    payload.append(reason);
    appendWebSocketFrame(out, WebSocketOpcode::Close, payload);
}

} // namespace parley::portal
