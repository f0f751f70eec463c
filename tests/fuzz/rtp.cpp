// RTP as the router reads it from publishers (after SRTP) and rewrites it for each
// subscriber: the parser, header extensions, the VP8 descriptor and keyframe detection, RTX
// restoring, and the copy writer with its SRTP protection. Checked besides not crashing:
// views stay inside the packet; a copy, decrypted as the subscriber would, parses with
// the SSRC, payload type, sequence number, timestamp and extensions it was given, the
// publisher's marker, CSRCs and payload (VP8 picture ids rewritten as asked, nothing else).
#include "fuzz_input.h"
#include "rtp_forwarding.h"

#include <parley/router/keyframe_detection.h>
#include <parley/router/rtp_packet.h>
#include <parley/router/rtx_packet.h>
#include <parley/router/srtp_session.h>
#include <parley/router/vp8_descriptor.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

using namespace parley::router;
using parley::fuzz::require;
using parley::fuzz::within;

namespace {

// Long enough for either profile (AES-CM: 16 + 14 bytes; GCM: 16 + 12).
constexpr std::array<std::uint8_t, 30> kKey = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                               16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30};

void checkCopy(std::span<const std::uint8_t> packet, const RtpView& view, parley::fuzz::InputReader& input)
{
    CopyHeader header;
    header.ssrc = input.u32();
    header.payloadType = input.byte() & 0x7f;
    header.sequence = input.u16();
    header.timestamp = input.u32();
    header.rtx = input.flag();
    header.originalSequence = input.u16();
    if (input.flag()) {
        header.playoutDelay.id = static_cast<std::uint8_t>(1 + input.byte() % 14);
        header.playoutDelay.length = 3;
        header.playoutDelay.value = {input.byte(), input.byte(), input.byte()};
    }
    if (input.flag()) {
        header.transportSequence.id = static_cast<std::uint8_t>(1 + input.byte() % 14);
        if (header.transportSequence.id == header.playoutDelay.id)
            header.transportSequence.id = 0;
        header.transportSequence.length = 2;
        header.transportSequence.value = {input.byte(), input.byte(), 0};
    }
    const auto payload = packet.subspan(view.payloadOffset, view.payloadLength);
    Vp8Descriptor vp8;
    if (input.flag() && parseVp8Descriptor(payload, vp8)) {
        header.vp8 = &vp8;
        header.pictureId = input.u16();
        header.tl0PicIdx = input.byte();
    }

    const auto profile = input.flag() ? SrtpProfile::AeadAes128Gcm : SrtpProfile::Aes128CmHmacSha1_80;
    const auto key = std::span<const std::uint8_t>(kKey).first(srtpKeyLength(profile) + srtpSaltLength(profile));
    SrtpSession outbound(profile, SrtpSession::Direction::Outbound, key);
    SrtpSession inbound(profile, SrtpSession::Direction::Inbound, key);
    std::array<std::uint8_t, 2048> slot{};
    const auto length = writeCopy(packet, view, header, outbound, slot);
    if (length == 0) {
        require(packet.size() + 12 + 2 + kSrtpMaxTrailer > slot.size(), "a copy that fits was not written");
        return;
    }
    const auto plain = inbound.unprotectRtp(slot.data(), length);
    require(plain > 0, "the subscriber cannot decrypt its copy");
    const std::span<const std::uint8_t> copy(slot.data(), plain);
    RtpView copied;
    require(parseRtp(copy, copied), "the copy is not RTP");
    require(copied.ssrc == header.ssrc && copied.payloadType == header.payloadType &&
                copied.sequence == header.sequence && copied.timestamp == header.timestamp,
            "the copy's header is not the one asked for");
    require(copied.marker == view.marker, "the copy lost the marker");
    require((copy[0] & 0x0f) == (packet[0] & 0x0f) && std::equal(packet.begin() + 12, packet.begin() + 12 + 4 * (packet[0] & 0x0f), copy.begin() + 12),
            "the copy's CSRCs differ");
    for (const auto* element : {&header.playoutDelay, &header.transportSequence})
        if (element->id) {
            const auto value = copied.extensionValue(element->id);
            require(value.size() == element->length && std::equal(value.begin(), value.end(), element->value.begin()),
                    "an extension element of the copy differs");
        }
    auto body = copy.subspan(copied.payloadOffset, copied.payloadLength);
    if (header.rtx) {
        require(body.size() == payload.size() + 2, "the RTX copy's payload has the wrong length");
        require((body[0] << 8 | body[1]) == header.originalSequence, "the RTX copy names another packet");
        body = body.subspan(2);
    }
    require(body.size() == payload.size(), "the copy's payload has another length");
    std::vector<std::uint8_t> expected(payload.begin(), payload.end());
    if (header.vp8) {
        rewriteVp8Descriptor(expected, vp8, header.pictureId, header.tl0PicIdx);
        Vp8Descriptor again;
        require(parseVp8Descriptor(body, again), "the copy's VP8 descriptor no longer parses");
        require(again.dataOffset == vp8.dataOffset && again.pictureIdOffset == vp8.pictureIdOffset,
                "rewriting moved the VP8 data");
        if (vp8.pictureIdOffset)
            require(again.pictureId == (vp8.longPictureId ? header.pictureId & 0x7fff : header.pictureId & 0x7f),
                    "the picture id was not rewritten");
        if (vp8.tl0Offset)
            require(again.tl0PicIdx == header.tl0PicIdx, "TL0PICIDX was not rewritten");
    }
    require(std::equal(body.begin(), body.end(), expected.begin()), "the copy's payload differs");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    parley::fuzz::InputReader input(data, size);
    const auto options = input.bytes(32);
    const auto bytes = input.rest();
    RtpView view;
    if (!parseRtp(bytes, view))
        return 0;
    require(view.payloadOffset + view.payloadLength <= bytes.size(), "the payload runs past the packet");
    require(within(view.extension, bytes), "the extension lies outside the packet");
    for (int id = 0; id < 256; ++id)
        require(within(view.extensionValue(static_cast<std::uint8_t>(id)), bytes), "an extension value lies outside");

    const auto payload = bytes.subspan(view.payloadOffset, view.payloadLength);
    Vp8Descriptor vp8;
    if (parseVp8Descriptor(payload, vp8))
        require(vp8.dataOffset < payload.size() && vp8.pictureIdOffset < vp8.dataOffset && vp8.tl0Offset < vp8.dataOffset,
                "the VP8 descriptor's fields lie outside it");
    vp8KeyframeSize(payload);
    startsKeyframe("VP8", payload);
    startsKeyframe("H264", payload);
    startsKeyframe("opus", payload);

    parley::fuzz::InputReader choices(options.data(), options.size());
    checkCopy(bytes, view, choices);

    // A publisher's resend (RFC 4588) restored in place.
    std::vector<std::uint8_t> writable(bytes.begin(), bytes.end());
    const auto restored = restoreFromRtx(writable, view, 1234, 96);
    require(within(restored, std::span<const std::uint8_t>(writable)), "the restored packet lies outside the buffer");
    if (!restored.empty()) {
        RtpView original;
        if (parseRtp(restored, original))
            require(original.ssrc == 1234 && original.payloadType == 96, "the restored packet keeps the RTX SSRC");
    }
    return 0;
}
