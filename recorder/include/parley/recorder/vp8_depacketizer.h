#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace parley::recorder {

/// The VP8 payload descriptor at the start of every RTP payload (RFC 7741 4.2).
struct Vp8Descriptor
{
    bool startOfPartition = false; ///< S
    std::uint8_t partitionId = 0;  ///< PID
    std::size_t length = 0;        ///< bytes before the VP8 data
};

/// Parses the descriptor; false if the payload is shorter than the descriptor says or holds
/// no VP8 data after it.
bool parseVp8Descriptor(std::span<const std::uint8_t> payload, Vp8Descriptor& descriptor);

/// Whether a whole VP8 frame is a keyframe (RFC 6386 9.1: frame tag bit 0 clear).
inline bool isVp8Keyframe(std::span<const std::uint8_t> frame)
{
    return !frame.empty() && (frame[0] & 0x01) == 0;
}

/// The picture size a VP8 keyframe's header gives (after the start code 9d 01 2a, 14 bits
/// each); nullopt when `frame` is not a keyframe or too short or lacks the start code.
std::optional<std::pair<int, int>> vp8KeyframeSize(std::span<const std::uint8_t> frame);

/// A whole VP8 frame put back together from RTP payloads.
struct Vp8Frame
{
    std::span<const std::uint8_t> data; ///< valid until the next push
    std::uint32_t timestamp = 0;        ///< RTP timestamp (90 kHz)
    bool keyframe = false;
    int width = 0;                      ///< from a keyframe's header; 0 for inter frames
    int height = 0;
};

/// Reassembles VP8 frames from payloads given in sequence order: a frame starts with S=1,
/// PID=0 and ends at the RTP marker bit, all with one timestamp. A frame missing a packet is
/// dropped, and then every frame until the next keyframe (they would decode to garbage):
/// `needsKeyframe()` says when to ask the sender for one. Allocates only at construction.
class Vp8FrameAssembler
{
public:
    explicit Vp8FrameAssembler(std::size_t maxFrameBytes = 4 * 1024 * 1024);

    /// Feeds one payload; returns the frame it completes, if any. `lostBefore`: packets were
    /// lost just before this one.
    std::optional<Vp8Frame> push(std::span<const std::uint8_t> payload, std::uint32_t timestamp, bool marker,
                                 bool lostBefore);

    bool needsKeyframe() const { return waitingForKeyframe_; }
    std::uint64_t framesDropped() const { return framesDropped_; }
    std::uint64_t malformed() const { return malformed_; }

private:
    void dropFrame();

    std::vector<std::uint8_t> frame_;
    std::size_t maxFrameBytes_;
    bool inFrame_ = false;
    std::uint32_t timestamp_ = 0;
    bool waitingForKeyframe_ = true; ///< nothing decodes before the first keyframe
    std::uint64_t framesDropped_ = 0;
    std::uint64_t malformed_ = 0;
};

} // namespace parley::recorder
