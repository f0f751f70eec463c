// VP8 frames put back together by the recorder from a publisher's RTP payloads (RFC 7741),
// with losses between them. The input is a run of packets: a flags byte (marker, lost
// before, a new timestamp), then a payload whose length comes first. Checked besides not
// crashing: a frame is never larger than the assembler's limit, and the keyframe flag and
// size agree with the frame's own header.
#include "fuzz_input.h"

#include <parley/recorder/vp8_depacketizer.h>

using namespace parley::recorder;
using parley::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    constexpr std::size_t kLimit = 64 * 1024;
    parley::fuzz::InputReader input(data, size);
    Vp8FrameAssembler assembler(kLimit);
    parley::fuzz::forEachFuzzedPacket(input, [&](const parley::fuzz::FuzzedPacket& packet) {
        Vp8Descriptor descriptor;
        if (parseVp8Descriptor(packet.payload, descriptor))
            require(descriptor.length < packet.payload.size(), "the descriptor covers the whole payload");
        if (const auto frame = assembler.push(packet.payload, packet.timestamp, packet.marker, packet.lostBefore)) {
            require(!frame->data.empty() && frame->data.size() <= kLimit, "a frame of a bad size");
            require(frame->keyframe == isVp8Keyframe(frame->data), "the keyframe flag disagrees with the frame");
            require(frame->timestamp == packet.timestamp, "a frame with another packet's timestamp");
            if (frame->width || frame->height) {
                const auto declared = vp8KeyframeSize(frame->data);
                require(declared && declared->first == frame->width && declared->second == frame->height,
                        "the size disagrees with the keyframe's header");
            }
        }
    });
    return 0;
}
