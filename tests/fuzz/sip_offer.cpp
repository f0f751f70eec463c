// A SIP endpoint's SDP offer (with its a=crypto lines) as Parley plans and answers it.
// Checked besides not crashing: only SipRefusal comes out (400 or 488); a plan takes an
// audio line offered over SRTP with a port, a key of its suite's length and an offered
// payload type; the answer parses again with as many m-lines as the offer; and a crypto
// line written back reads as the same key.
#include "fuzz_input.h"

#include <parley/sip/sdes_crypto.h>
#include <parley/sip/sip_offer.h>
#include <parley/sip/sip_refusal.h>

using namespace parley::sip;
using parley::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto sdp = parley::fuzz::text({data, size});
    SipOffer offer;
    try {
        offer = parseSipOffer(sdp);
    }
    catch (const SipRefusal& refusal) {
        require(refusal.status() == 400, "a parse refusal other than 400");
        return 0;
    }
    for (const auto& stream : offer.streams)
        for (const auto& crypto : stream.cryptos) {
            std::string whyNot;
            const auto back = parseCryptoAttribute(formatCryptoAttribute(crypto), whyNot);
            require(back && back->key == crypto.key && back->suite == crypto.suite && back->tag == crypto.tag,
                    "a crypto line written back reads differently");
        }
    MediaPlan plan;
    try {
        plan = planMedia(offer);
    }
    catch (const SipRefusal& refusal) {
        require(refusal.status() == 488, "a plan refusal other than 488");
        return 0;
    }
    require(plan.audioIndex < offer.streams.size(), "a plan outside the offer");
    const auto& audio = offer.streams[plan.audioIndex];
    require(audio.kind == "audio" && audio.secure && audio.port != 0, "a plan on a line it may not take");
    require(plan.remoteCrypto.key.bytes().size() ==
                parley::router::srtpKeyLength(plan.remoteCrypto.suite) + parley::router::srtpSaltLength(plan.remoteCrypto.suite),
            "a key of the wrong length");
    bool offered = false;
    for (const auto& codec : audio.codecs)
        offered = offered || codec.payloadType == plan.payloadType;
    require(offered, "a payload type the endpoint did not offer");
    if (plan.video) {
        require(plan.video->index < offer.streams.size() && plan.video->index != plan.audioIndex,
                "a video plan outside the offer or on the audio line");
        const auto& video = offer.streams[plan.video->index];
        require(video.kind == "video" && video.secure && video.port != 0, "a video plan on a line it may not take");
        require(plan.video->remoteCrypto.key.bytes().size() ==
                    parley::router::srtpKeyLength(plan.video->remoteCrypto.suite) +
                        parley::router::srtpSaltLength(plan.video->remoteCrypto.suite),
                "a video key of the wrong length");
        bool videoOffered = false;
        for (const auto& codec : video.codecs)
            videoOffered = videoOffered || codec.payloadType == plan.video->payloadType;
        require(videoOffered, "a video payload type the endpoint did not offer");
    }
    const auto answer = answerSdp(offer, plan, {"192.0.2.1", 40000, 40002}, freshKeys(plan), 1, 1);
    try {
        const auto answered = parseSipOffer(answer);
        require(answered.streams.size() == offer.streams.size(), "the answer has other m-lines");
        if (plan.video)
            require(answered.streams[plan.video->index].port == 40002, "the answer's video line is not Parley's port");
    }
    catch (const SipRefusal&) {
        parley::fuzz::fail("the answer does not parse");
    }
    return 0;
}
