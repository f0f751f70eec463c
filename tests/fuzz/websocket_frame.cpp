// The frames a signaling client sends (RFC 6455 5), cut into pieces as TCP delivers them:
// the first two bytes give the message limit, each piece starts with its length. Checked
// besides not crashing: no data message passes the limit, a control frame's data is at
// most 125 bytes (whatever the limit), the reader holds at most the message being joined
// and one unfinished frame, a refusal is 1002 or 1009 with a reason, and the same bytes in
// one piece give the same messages.
#include "fuzz_input.h"

#include <parley/portal/http/websocket_frame_reader.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace parley::portal;
using parley::fuzz::require;

namespace {

struct Outcome
{
    std::vector<std::pair<int, std::string>> messages; ///< kind, payload
    int refusal = 0;
};

Outcome readAll(const std::vector<std::string_view>& pieces, std::size_t limit)
{
    Outcome outcome;
    WebSocketFrameReader reader(limit);
    try {
        for (const auto piece : pieces) {
            reader.feed(piece);
            while (auto message = reader.next()) {
                // The limit is the messages'; control frames have their own, 125 bytes.
                const bool control = message->kind != WebSocketMessage::Kind::Text &&
                                     message->kind != WebSocketMessage::Kind::Binary;
                require(control || message->payload.size() <= limit, "a message past the limit");
                require(!control || message->payload.size() <= 125, "a control frame past 125 bytes");
                outcome.messages.emplace_back(static_cast<int>(message->kind) * 100000 + message->closeCode,
                                              std::move(message->payload));
            }
            require(reader.buffered() <= limit + std::max<std::size_t>(limit, 125) + 14, "the reader holds too much");
        }
    }
    catch (const WebSocketProtocolError& e) {
        require(e.code() == 1002 || e.code() == 1009, "a refusal with another code");
        require(std::string(e.what()).size() > 10, "a refusal without a reason");
        outcome.refusal = e.code();
    }
    return outcome;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    parley::fuzz::InputReader input(data, size);
    const std::size_t limit = 1 + input.u16() % 8192;
    std::vector<std::string_view> pieces;
    std::string whole;
    while (!input.empty()) {
        const auto length = input.byte();
        const auto piece = parley::fuzz::text(input.bytes(length));
        pieces.push_back(piece);
        whole += piece;
    }
    const auto cut = readAll(pieces, limit);
    const auto together = readAll({whole}, limit);
    require(cut.refusal == together.refusal, "refused or not depending on how the bytes were cut");
    require(cut.messages == together.messages, "other messages depending on how the bytes were cut");
    return 0;
}
