// H.264 access units put back together by the recorder from RTP payloads (RFC 6184: single
// NAL units, STAP-A, FU-A; the rest refused), with losses between them. The input is a run
// of packets: a flags byte (marker, lost before, a new timestamp), then a payload whose
// length comes first. Checked besides not crashing: a unit is never larger than the
// assembler's limit and is an Annex B stream (it starts with a start code).
#include "fuzz_input.h"

#include <parley/recorder/h264_depacketizer.h>

using namespace parley::recorder;
using parley::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    constexpr std::size_t kLimit = 64 * 1024;
    parley::fuzz::InputReader input(data, size);
    H264FrameAssembler assembler(kLimit);
    parley::fuzz::forEachFuzzedPacket(input, [&](const parley::fuzz::FuzzedPacket& packet) {
        if (const auto frame = assembler.push(packet.payload, packet.timestamp, packet.marker, packet.lostBefore)) {
            require(frame->data.size() >= 5 && frame->data.size() <= kLimit, "a unit of a bad size");
            require(frame->data[0] == 0 && frame->data[1] == 0 && frame->data[2] == 0 && frame->data[3] == 1,
                    "a unit that does not start with a start code");
            require(frame->timestamp == packet.timestamp, "a unit with another packet's timestamp");
        }
        const auto sets = assembler.parameterSets();
        require(sets.size() <= kLimit, "parameter sets beyond the limit");
    });
    return 0;
}
