// SDP offers as browsers send them in signaling, through the router's whole negotiation
// (the answer, transports, publications) on a router bound to 127.0.0.1. Slow (a round
// trip to the router's worker each); the parser alone is the sdp harness.
// Checked besides not crashing: an offer is refused only with SdpError, and an answer the
// router gives parses as SDP again.
#include "fuzz_input.h"

#include <parley/router/media_router.h>
#include <parley/router/sdp.h>

#include <map>
#include <memory>
#include <string>

using namespace parley::router;
using parley::fuzz::require;

namespace {

MediaRouter& router()
{
    static const auto instance = [] {
        RouterSettings settings;
        settings.listenAddress = "127.0.0.1";
        settings.port = 0;
        return std::make_unique<MediaRouter>(settings);
    }();
    return *instance;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    SdpOffer offer;
    try {
        offer = parseSdpOffer(text);
    }
    catch (const SdpError&) {
        return 0;
    }
    // Each section published under its own kind, as the page labels them.
    std::map<std::string, std::string> tracks;
    for (const auto& media : offer.media)
        if (!media.mid.empty() && (media.kind == "audio" || media.kind == "video"))
            tracks[media.mid] = media.kind;
    try {
        const auto negotiation = router().negotiate(1, "fuzzed-participant", text, tracks, {});
        try {
            parseSdpOffer(negotiation.answer);
        }
        catch (const SdpError& error) {
            parley::fuzz::fail("the router's answer is not SDP");
        }
    }
    catch (const SdpError&) {
    }
    router().removeParticipant("fuzzed-participant");
    return 0;
}
