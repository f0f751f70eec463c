#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace parley::loadgen {

struct MediaClip;

/// Every payload the load generator sends ends with this trailer: a magic word and the
/// sender's CLOCK_REALTIME in nanoseconds (the clock of the kernel's receive timestamps), so
/// that a receiver on the same machine reads how long the packet took through the server.
/// The router forwards payloads untouched.
constexpr std::size_t kSendTimeTrailerBytes = 12;
void writeSendTime(std::span<std::uint8_t> payloadEnd, std::int64_t nanoseconds);
/// The send time in the last kSendTimeTrailerBytes of `payload`, or nullopt without the magic.
std::optional<std::int64_t> readSendTime(std::span<const std::uint8_t> payload);
/// CLOCK_REALTIME in nanoseconds: the clock every process on this machine shares, and the one
/// SO_TIMESTAMPNS stamps received packets with.
std::int64_t wallClockNanoseconds();
/// CLOCK_MONOTONIC in nanoseconds, for timers (it never jumps).
std::int64_t steadyNanoseconds();

/// The largest RTP packet the generator builds (header, payload), before SRTP's trailer;
/// what Chrome sends for video is at most about 1,200 bytes.
constexpr std::size_t kMaxRtpPacket = 1200;

/// One RTP packet the generator has built, in a buffer with room for SRTP's trailer.
struct OutgoingPacket
{
    std::array<std::uint8_t, kMaxRtpPacket + 64> bytes{};
    std::size_t length = 0;
};

/// A VP8 camera stream as a browser sends it. From a clip (real frames, looped; a keyframe
/// request restarts it at its first frame, a keyframe) or, without one, made up: frames at
/// `fps` whose sizes average `bitsPerSecond`, deltas varying by a fixed pattern around the
/// mean, a keyframe (six times the mean) first and whenever one is asked for, with a real
/// VP8 frame header but no picture. Each frame is cut into nearly equal packets of at most
/// kMaxRtpPacket bytes with a VP8 payload descriptor (15-bit picture id). The send-time
/// trailer ends every packet of a made-up frame; a clip's frame carries it only after its
/// data, in its last packet (marker set), where a decoder never reads. Allocates nothing
/// after construction.
class SyntheticVideo
{
public:
    SyntheticVideo(std::uint32_t ssrc, std::uint8_t payloadType, int bitsPerSecond, int fps, std::uint16_t width,
                   std::uint16_t height, const MediaClip* clip = nullptr);

    std::chrono::nanoseconds frameInterval() const { return interval_; }
    /// The next frame is a keyframe (a PLI or FIR arrived).
    void requestKeyframe() { keyframeRequested_ = true; }

    /// Builds the next frame's packets into `out` (which must hold kMaxPacketsPerFrame) and
    /// returns how many; they carry the send time `now` (a clip's, the last only).
    std::size_t nextFrame(std::span<OutgoingPacket> out, std::int64_t now);
    static constexpr std::size_t kMaxPacketsPerFrame = 128;

    std::uint64_t keyframesSent() const { return keyframes_; }

private:
    std::uint32_t ssrc_;
    std::uint8_t payloadType_;
    std::size_t meanFrameBytes_;
    std::chrono::nanoseconds interval_;
    std::uint32_t timestampStep_;
    std::uint16_t width_, height_;
    const MediaClip* clip_;
    std::size_t position_ = 0;
    bool keyframeRequested_ = true;
    std::uint16_t sequence_;
    std::uint32_t timestamp_;
    std::uint16_t pictureId_ = 0;
    std::uint32_t frames_ = 0;
    std::uint64_t keyframes_ = 0;
};

/// An Opus microphone stream: one packet every 20 ms, the RTP timestamp advancing 960 ticks
/// of 48 kHz; the clip's packets looped, or made-up ones of `bitsPerSecond / 400` bytes.
/// Each is sent as a one-frame Opus packet with padding (RFC 6716 3.2.5, code 3), the
/// send-time trailer in the padding, which decoders skip.
class SyntheticAudio
{
public:
    SyntheticAudio(std::uint32_t ssrc, std::uint8_t payloadType, int bitsPerSecond, const MediaClip* clip = nullptr);
    static constexpr std::chrono::milliseconds kPacketInterval{20};
    void nextPacket(OutgoingPacket& out, std::int64_t now);

private:
    std::uint32_t ssrc_;
    std::uint8_t payloadType_;
    std::size_t payloadBytes_;
    const MediaClip* clip_;
    std::size_t position_ = 0;
    std::uint16_t sequence_;
    std::uint32_t timestamp_;
};

/// Whether an RTP payload is the first packet of a VP8 keyframe (descriptor S bit with
/// partition 0, and the frame header's P bit clear).
bool startsVp8Keyframe(std::span<const std::uint8_t> payload);

} // namespace parley::loadgen
