#include <parley/portal/http/websocket_frame_reader.h>
#include <parley/portal/http/websocket_frame_writer.h>
#include <parley/portal/http/websocket_handshake.h>

#include <catch2/catch.hpp>

#include <random>

using namespace parley::portal;
using Kind = WebSocketMessage::Kind;

namespace {

/// A client frame as a browser sends it: masked with `mask`.
std::string clientFrame(unsigned opcode, const std::string& payload, bool fin = true,
                        std::string mask = std::string("\x37\xfa\x21\x3d", 4), unsigned char extraBits = 0)
{
    std::string out;
    out += static_cast<char>((fin ? 0x80 : 0) | extraBits | opcode);
    const std::uint64_t size = payload.size();
    if (size < 126)
        out += static_cast<char>(0x80 | size);
    else if (size <= 0xffff) {
        out += static_cast<char>(0x80 | 126);
        out += static_cast<char>(size >> 8);
        out += static_cast<char>(size & 0xff);
    }
    else {
        out += static_cast<char>(0x80 | 127);
        for (int shift = 56; shift >= 0; shift -= 8)
            out += static_cast<char>((size >> shift) & 0xff);
    }
    out += mask;
    for (std::size_t i = 0; i < payload.size(); ++i)
        out += static_cast<char>(payload[i] ^ mask[i % 4]);
    return out;
}

/// The close code the reader refuses `bytes` with; 0 if it does not.
int refusal(const std::string& bytes, std::size_t limit = 65536)
{
    WebSocketFrameReader reader(limit);
    reader.feed(bytes);
    try {
        while (reader.next()) {
        }
    }
    catch (const WebSocketProtocolError& e) {
        return e.code();
    }
    return 0;
}

} // namespace

TEST_CASE("WebSocket reader: RFC 6455's masked Hello, whole and one byte at a time")
{
    // RFC 6455 5.7: a single-frame masked text message.
    const std::string hello("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
    WebSocketFrameReader whole(1024);
    whole.feed(hello);
    auto message = whole.next();
    REQUIRE(message);
    CHECK(message->kind == Kind::Text);
    CHECK(message->payload == "Hello");
    CHECK_FALSE(whole.next());
    CHECK(whole.buffered() == 0);

    WebSocketFrameReader trickled(1024);
    for (std::size_t i = 0; i < hello.size(); ++i) {
        CHECK_FALSE(trickled.next());
        trickled.feed(hello.substr(i, 1));
    }
    message = trickled.next();
    REQUIRE(message);
    CHECK(message->payload == "Hello");
}

TEST_CASE("WebSocket reader: fragments are joined, with control frames between them, and lengths of every width")
{
    WebSocketFrameReader reader(100000);
    reader.feed(clientFrame(1, "Hel", false) + clientFrame(9, "are you there") + clientFrame(0, "l", false) +
                clientFrame(0, "o", true));
    auto ping = reader.next();
    REQUIRE(ping);
    CHECK(ping->kind == Kind::Ping);
    CHECK(ping->payload == "are you there");
    auto text = reader.next();
    REQUIRE(text);
    CHECK(text->kind == Kind::Text);
    CHECK(text->payload == "Hello");

    for (const std::size_t size : {std::size_t(0), std::size_t(125), std::size_t(126), std::size_t(65535),
                                   std::size_t(65536), std::size_t(99999)}) {
        INFO(size);
        std::string payload(size, 'x');
        for (std::size_t i = 0; i < size; ++i)
            payload[i] = static_cast<char>('a' + i % 26);
        reader.feed(clientFrame(2, payload));
        const auto binary = reader.next();
        REQUIRE(binary);
        CHECK(binary->kind == Kind::Binary);
        CHECK(binary->payload == payload);
    }

    reader.feed(clientFrame(8, std::string("\x03\xe8", 2) + "bye") + clientFrame(8, "") + clientFrame(10, "p"));
    auto close = reader.next();
    REQUIRE(close);
    CHECK(close->kind == Kind::Close);
    CHECK(close->closeCode == 1000);
    CHECK(close->payload == "bye");
    close = reader.next();
    REQUIRE(close);
    CHECK(close->closeCode == 1005); // no status given
    const auto pong = reader.next();
    REQUIRE(pong);
    CHECK(pong->kind == Kind::Pong);
}

TEST_CASE("WebSocket reader: hostile frames are refused with 1002 or 1009")
{
    // Unmasked, as a server would send: a client must mask.
    CHECK(refusal(std::string("\x81\x05Hello", 7)) == 1002);
    // Reserved bits without an extension.
    CHECK(refusal(clientFrame(1, "x", true, std::string("\x01\x02\x03\x04", 4), 0x40)) == 1002);
    CHECK(refusal(clientFrame(1, "x", true, std::string("\x01\x02\x03\x04", 4), 0x10)) == 1002);
    // Reserved opcodes, data and control.
    CHECK(refusal(clientFrame(3, "x")) == 1002);
    CHECK(refusal(clientFrame(0xB, "x")) == 1002);
    // Control frames: fragmented, or longer than 125 bytes.
    CHECK(refusal(clientFrame(9, "x", false)) == 1002);
    CHECK(refusal(clientFrame(9, std::string(126, 'x'))) == 1002);
    // Close frames: a one-byte code, codes that may not be sent.
    CHECK(refusal(clientFrame(8, "\x03")) == 1002);
    for (const int code : {0, 999, 1004, 1005, 1006, 1015, 2999, 5000, 65535}) {
        INFO(code);
        CHECK(refusal(clientFrame(8, std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)})) == 1002);
    }
    CHECK(refusal(clientFrame(8, std::string("\x0f\xa0", 2))) == 0); // 4000: an application's own
    // Continuation without a message; a new message inside a fragmented one.
    CHECK(refusal(clientFrame(0, "x")) == 1002);
    CHECK(refusal(clientFrame(1, "x", false) + clientFrame(1, "y")) == 1002);
    CHECK(refusal(clientFrame(1, "x", false) + clientFrame(2, "y")) == 1002);
    // A 64-bit length with its top bit set.
    CHECK(refusal(std::string("\x81\xff\x80\0\0\0\0\0\0\x01", 10)) == 1002);
    // Too big: from the announced length alone, before any payload arrives.
    std::string header("\x81\xff", 2);
    const std::uint64_t huge = 10 * 1024 * 1024;
    for (int shift = 56; shift >= 0; shift -= 8)
        header += static_cast<char>((huge >> shift) & 0xff);
    CHECK(refusal(header, 65536) == 1009);
    CHECK(refusal(clientFrame(1, std::string(101, 'x')), 100) == 1009);
    // Fragments that together pass the limit.
    CHECK(refusal(clientFrame(1, std::string(60, 'x'), false) + clientFrame(0, std::string(41, 'x')), 100) == 1009);
    CHECK(refusal(clientFrame(1, std::string(60, 'x'), false) + clientFrame(0, std::string(40, 'x')), 100) == 0);
}

TEST_CASE("WebSocket reader: random bytes never crash it and its buffer stays bounded")
{
    std::mt19937 random(20261203);
    constexpr std::size_t limit = 4096;
    int refused = 0;
    for (int round = 0; round < 2000; ++round) {
        WebSocketFrameReader reader(limit);
        // Half the rounds start with a valid frame header, so the checks behind it are reached.
        std::string bytes = round % 2 ? clientFrame(1 + round % 2, std::string(round % 200, 'a'), round % 3 == 0) : "";
        const auto extra = random() % 300;
        for (std::size_t i = 0; i < extra; ++i)
            bytes += static_cast<char>(random());
        try {
            for (std::size_t at = 0; at < bytes.size();) {
                const auto piece = std::min<std::size_t>(1 + random() % 40, bytes.size() - at);
                reader.feed(std::string_view(bytes).substr(at, piece));
                at += piece;
                while (const auto message = reader.next())
                    CHECK(message->payload.size() <= limit);
                CHECK(reader.buffered() <= 2 * limit + 14);
            }
        }
        catch (const WebSocketProtocolError& e) {
            ++refused;
            CHECK((e.code() == 1002 || e.code() == 1009));
            CHECK(std::string(e.what()).size() > 10);
        }
    }
    CHECK(refused > 500);
}

TEST_CASE("WebSocket writer: server frames are unmasked with the shortest length, and close reasons stay UTF-8")
{
    std::string out;
    appendWebSocketFrame(out, WebSocketOpcode::Text, "Hello");
    CHECK(out == std::string("\x81\x05Hello", 7));
    for (const std::size_t size : {std::size_t(125), std::size_t(126), std::size_t(65535), std::size_t(65536)}) {
        INFO(size);
        out.clear();
        appendWebSocketFrame(out, WebSocketOpcode::Text, std::string(size, 'x'));
        const auto second = static_cast<unsigned char>(out[1]);
        CHECK((second & 0x80) == 0); // never masked
        const std::size_t header = size < 126 ? 2 : size <= 0xffff ? 4 : 10;
        CHECK(second == (size < 126 ? size : size <= 0xffff ? 126 : 127));
        CHECK(out.size() == header + size);
    }
    out.clear();
    appendWebSocketFrame(out, WebSocketOpcode::Ping, std::string(300, 'p'));
    CHECK(out.size() == 2 + 125); // a control frame is cut to 125 bytes

    out.clear();
    std::string reason;
    for (int i = 0; i < 100; ++i)
        reason += "\xc3\xa9"; // é, two bytes each
    appendWebSocketClose(out, 4408, reason);
    CHECK(static_cast<unsigned char>(out[0]) == 0x88);
    const auto length = static_cast<unsigned char>(out[1]);
    CHECK(length <= 125);
    CHECK(out.size() == 2u + length);
    CHECK(static_cast<unsigned char>(out[2]) == (4408 >> 8));
    CHECK(static_cast<unsigned char>(out[3]) == (4408 & 0xff));
    const auto text = out.substr(4);
    CHECK(text.size() % 2 == 0); // no é cut in half
    CHECK(text == reason.substr(0, text.size()));
}

TEST_CASE("WebSocket handshake: the accept key is RFC 6455's for its sample key")
{
    CHECK(webSocketAcceptKey("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}
