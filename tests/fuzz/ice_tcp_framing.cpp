// ICE-TCP framing (RFC 4571) as the router reads it off a TCP connection, in pieces of
// any size. Checked besides not crashing: every frame handed out is 1 to kMaxFrame bytes,
// and the same bytes give the same frames however they are split.
#include "fuzz_input.h"

#include <parley/router/rfc4571_deframer.h>

#include <vector>

using namespace parley::router;
using parley::fuzz::require;

namespace {

/// The frames of `stream`, delivered in pieces of the sizes `cuts` gives (cycling).
std::vector<std::vector<std::uint8_t>> frames(std::span<const std::uint8_t> stream, std::span<const std::uint8_t> cuts,
                                              bool& bad)
{
    Rfc4571Deframer deframer;
    std::vector<std::vector<std::uint8_t>> out;
    std::size_t at = 0;
    for (std::size_t i = 0; at < stream.size(); ++i) {
        const std::size_t piece = cuts.empty() ? stream.size() : 1 + cuts[i % cuts.size()] % 64;
        const auto bytes = stream.subspan(at, std::min(piece, stream.size() - at));
        at += bytes.size();
        if (!deframer.push(bytes, [&](std::span<std::uint8_t> frame) {
                require(!frame.empty() && frame.size() <= Rfc4571Deframer::kMaxFrame, "a frame of a bad size");
                out.emplace_back(frame.begin(), frame.end());
            }))
            break;
    }
    bad = deframer.bad();
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    parley::fuzz::InputReader input(data, size);
    const auto cuts = input.bytes(input.byte() % 16);
    const auto stream = input.rest();
    bool wholeBad = false;
    bool piecesBad = false;
    const auto whole = frames(stream, {}, wholeBad);
    const auto pieces = frames(stream, cuts, piecesBad);
    require(whole == pieces && wholeBad == piecesBad, "the frames depend on how the bytes were split");
    return 0;
}
