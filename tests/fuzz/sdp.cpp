// SDP offers as browsers send them in signaling, through the parser alone (fast; the
// router's negotiation of them is sdp_negotiation). Checked besides not crashing: an offer
// is refused only with SdpError; a parsed one keeps its bounds (at most 64 media sections,
// 256 codecs and 8 rids in one, rids of the allowed characters).
#include "fuzz_input.h"

#include <parley/router/sdp.h>

#include <string>

using namespace parley::router;
using parley::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    SdpOffer offer;
    try {
        offer = parseSdpOffer(std::string_view(reinterpret_cast<const char*>(data), size));
    }
    catch (const SdpError&) {
        return 0;
    }
    require(offer.media.size() <= 64, "more than 64 media sections");
    for (const auto& media : offer.media) {
        require(media.codecs.size() <= 256, "more than 256 codecs in a section");
        require(media.rids.size() <= 8, "more than 8 rids in a section");
        for (const auto& rid : media.rids) {
            require(!rid.id.empty() && rid.id.size() <= 16, "a rid of a bad length");
            for (const char c : rid.id)
                require((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-',
                        "a rid with a character outside A-Z a-z 0-9 _ -");
        }
    }
    return 0;
}
