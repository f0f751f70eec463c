#include <parley/loadgen/synthetic_media.h>

#include <parley/loadgen/media_clip.h>

#include <parley/router/rtp_packet.h>
#include <parley/router/vp8_descriptor.h>

#include <algorithm>
#include <ctime>

namespace parley::loadgen {
namespace {

constexpr std::uint8_t kMagic[4] = {'P', 'L', 'G', '1'};
constexpr std::size_t kRtpHeaderBytes = 12;
constexpr std::size_t kVp8DescriptorBytes = 4;

// Starting values a browser would pick at random; derived from the SSRC so that runs repeat.
std::uint16_t initialSequence(std::uint32_t ssrc)
{
    return static_cast<std::uint16_t>(ssrc * 2654435761u >> 16);
}

} // namespace

std::int64_t wallClockNanoseconds()
{
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    return std::int64_t(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

std::int64_t steadyNanoseconds()
{
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return std::int64_t(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

void writeSendTime(std::span<std::uint8_t> payloadEnd, std::int64_t nanoseconds)
{
    auto* at = payloadEnd.data() + payloadEnd.size() - kSendTimeTrailerBytes;
    std::copy(std::begin(kMagic), std::end(kMagic), at);
    const auto value = static_cast<std::uint64_t>(nanoseconds);
    for (int i = 0; i < 8; ++i)
        at[4 + i] = static_cast<std::uint8_t>(value >> (56 - 8 * i));
}

std::optional<std::int64_t> readSendTime(std::span<const std::uint8_t> payload)
{
    if (payload.size() < kSendTimeTrailerBytes)
        return std::nullopt;
    const auto* at = payload.data() + payload.size() - kSendTimeTrailerBytes;
    if (!std::equal(std::begin(kMagic), std::end(kMagic), at))
        return std::nullopt;
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i)
        value = value << 8 | at[4 + i];
    return static_cast<std::int64_t>(value);
}

SyntheticVideo::SyntheticVideo(std::uint32_t ssrc, std::uint8_t payloadType, int bitsPerSecond, int fps,
                               std::uint16_t width, std::uint16_t height, const MediaClip* clip)
    : ssrc_(ssrc), payloadType_(payloadType),
      meanFrameBytes_(static_cast<std::size_t>(std::max(1, bitsPerSecond / 8 / std::max(1, fps)))),
      interval_(std::chrono::nanoseconds(1'000'000'000 / std::max(1, clip ? clip->fps : fps))),
      timestampStep_(90000 / static_cast<std::uint32_t>(std::max(1, clip ? clip->fps : fps))), width_(width),
      height_(height), clip_(clip), sequence_(initialSequence(ssrc)), timestamp_(ssrc * 40503u)
{
}

std::size_t SyntheticVideo::nextFrame(std::span<OutgoingPacket> out, std::int64_t now)
{
    bool keyframe = false;
    std::span<const std::uint8_t> clipFrame;
    std::size_t frameBytes = 0;
    if (clip_) {
        if (keyframeRequested_)
            position_ = 0; // the clip's first frame is a keyframe
        keyframeRequested_ = false;
        const auto& frame = clip_->video[position_];
        position_ = (position_ + 1) % clip_->video.size();
        keyframe = frame.keyframe;
        clipFrame = frame.data;
        frameBytes = frame.data.size();
    } else {
        keyframe = keyframeRequested_;
        keyframeRequested_ = false;
        // Delta frames vary between 0.7 and 1.3 times the mean in a fixed 8-frame pattern; a
        // keyframe is 6 times the mean, as encoders make them at this rate.
        static constexpr double kPattern[8] = {1.0, 0.7, 1.3, 0.9, 1.1, 0.8, 1.2, 1.0};
        const double scale = keyframe ? 6.0 : kPattern[frames_ % 8];
        frameBytes = std::max<std::size_t>(static_cast<std::size_t>(static_cast<double>(meanFrameBytes_) * scale), 10);
    }
    constexpr std::size_t kPayloadRoom = kMaxRtpPacket - kRtpHeaderBytes - kVp8DescriptorBytes;
    // What does not fit in kMaxPacketsPerFrame packets is not sent (a made-up frame of an
    // absurd rate; a clip's frames are checked when it is loaded).
    frameBytes = std::min(frameBytes, std::min(out.size(), kMaxPacketsPerFrame) * kPayloadRoom - kSendTimeTrailerBytes);
    // The trailer goes after the frame's data: the packets carry both.
    const std::size_t total = frameBytes + kSendTimeTrailerBytes;
    const std::size_t packets = std::clamp<std::size_t>((total + kPayloadRoom - 1) / kPayloadRoom, 1,
                                                        std::min(out.size(), kMaxPacketsPerFrame));
    // Chrome's packetizer cuts a frame into nearly equal packets.
    const std::size_t perPacket = (total + packets - 1) / packets;
    std::size_t offset = 0;
    for (std::size_t i = 0; i < packets; ++i) {
        const bool last = i + 1 == packets;
        auto& packet = out[i];
        auto* bytes = packet.bytes.data();
        router::writeRtpHeader({bytes, kRtpHeaderBytes}, last, payloadType_, sequence_++, timestamp_, ssrc_);
        auto* payload = bytes + kRtpHeaderBytes;
        // X, S on the first packet, partition 0; then I; then a 15-bit picture id.
        payload[0] = static_cast<std::uint8_t>(0x80 | (i == 0 ? 0x10 : 0));
        payload[1] = 0x80;
        payload[2] = static_cast<std::uint8_t>(0x80 | (pictureId_ >> 8 & 0x7f));
        payload[3] = static_cast<std::uint8_t>(pictureId_);
        auto* data = payload + kVp8DescriptorBytes;
        const std::size_t chunk = last ? total - offset : std::min(perPacket, total - offset);
        const std::size_t frameChunk = std::min(chunk, frameBytes - std::min(frameBytes, offset));
        if (clip_) {
            std::copy(clipFrame.begin() + static_cast<std::ptrdiff_t>(offset),
                      clipFrame.begin() + static_cast<std::ptrdiff_t>(offset + frameChunk), data);
        } else {
            std::fill(data, data + frameChunk, static_cast<std::uint8_t>(frames_));
            if (i == 0) {
                // RFC 6386 9.1: the frame tag (P bit 0 on a keyframe, show_frame set), and
                // for a keyframe the start code and the picture size.
                data[0] = keyframe ? 0x10 : 0x11;
                data[1] = 0x02;
                data[2] = 0x00;
                if (keyframe && frameChunk >= 10) {
                    data[3] = 0x9d;
                    data[4] = 0x01;
                    data[5] = 0x2a;
                    data[6] = static_cast<std::uint8_t>(width_);
                    data[7] = static_cast<std::uint8_t>(width_ >> 8);
                    data[8] = static_cast<std::uint8_t>(height_);
                    data[9] = static_cast<std::uint8_t>(height_ >> 8);
                }
            }
        }
        offset += chunk;
        packet.length = kRtpHeaderBytes + kVp8DescriptorBytes + chunk;
        // A clip's frame data must stay whole: only its last packet has room after it. A
        // made-up frame is filler, so every packet ends with the send time.
        if (last || (!clip_ && chunk >= kSendTimeTrailerBytes + 10))
            writeSendTime({bytes, packet.length}, now);
    }
    pictureId_ = static_cast<std::uint16_t>((pictureId_ + 1) & 0x7fff);
    timestamp_ += timestampStep_;
    ++frames_;
    keyframes_ += keyframe ? 1 : 0;
    return packets;
}

SyntheticAudio::SyntheticAudio(std::uint32_t ssrc, std::uint8_t payloadType, int bitsPerSecond, const MediaClip* clip)
    : ssrc_(ssrc), payloadType_(payloadType),
      payloadBytes_(std::clamp<std::size_t>(static_cast<std::size_t>(bitsPerSecond / 400), 2, 1000)), clip_(clip),
      sequence_(initialSequence(ssrc)), timestamp_(ssrc * 7919u)
{
}

void SyntheticAudio::nextPacket(OutgoingPacket& out, std::int64_t now)
{
    router::writeRtpHeader(out.bytes, false, payloadType_, sequence_++, timestamp_, ssrc_);
    timestamp_ += 960;
    auto* payload = out.bytes.data() + kRtpHeaderBytes;
    // A one-frame packet (code 3: TOC, frame count byte with the padding flag, padding
    // length), the frame, then the padding holding the trailer.
    std::span<const std::uint8_t> frame;
    std::uint8_t toc = 0x78; // made up: CELT fullband 20 ms, mono
    if (clip_ && !clip_->audio.empty()) {
        const auto& packet = clip_->audio[position_];
        position_ = (position_ + 1) % clip_->audio.size();
        toc = packet.data[0];
        frame = std::span<const std::uint8_t>(packet.data).subspan(1);
        if ((toc & 0x03) != 0 || frame.size() + 3 + kSendTimeTrailerBytes > kMaxRtpPacket - kRtpHeaderBytes) {
            // Not a one-frame packet: sent as it is, without a trailer.
            std::copy(packet.data.begin(), packet.data.end(), payload);
            out.length = kRtpHeaderBytes + packet.data.size();
            return;
        }
    }
    payload[0] = static_cast<std::uint8_t>(toc | 0x03);
    payload[1] = 0x41; // padding, one frame
    payload[2] = static_cast<std::uint8_t>(kSendTimeTrailerBytes);
    std::size_t length = 3;
    if (!frame.empty()) {
        std::copy(frame.begin(), frame.end(), payload + length);
        length += frame.size();
    } else {
        std::fill(payload + length, payload + length + payloadBytes_, std::uint8_t(0x5a));
        length += payloadBytes_;
    }
    length += kSendTimeTrailerBytes;
    out.length = kRtpHeaderBytes + length;
    writeSendTime({out.bytes.data(), out.length}, now);
}

bool startsVp8Keyframe(std::span<const std::uint8_t> payload)
{
    router::Vp8Descriptor descriptor;
    return router::parseVp8Descriptor(payload, descriptor) && descriptor.startOfPartition &&
           (payload[descriptor.dataOffset] & 0x01) == 0;
}

} // namespace parley::loadgen
