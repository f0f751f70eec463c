#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace parley::recorder {

/// A whole H.264 access unit put back together from RTP payloads, as an Annex B byte
/// stream (each NAL unit after a 00 00 00 01 start code).
struct H264Frame
{
    std::span<const std::uint8_t> data; ///< valid until the next push
    std::uint32_t timestamp = 0;        ///< RTP timestamp (90 kHz)
    bool keyframe = false;              ///< holds an IDR slice, and SPS and PPS are known
};

/// Reassembles H.264 access units from RTP payloads given in sequence order (RFC 6184,
/// packetization-mode 1: single NAL unit packets, STAP-A and FU-A). An access unit is every
/// NAL unit of one RTP timestamp up to the marker bit. A unit missing a packet, or holding
/// a malformed or unsupported payload (STAP-B, MTAP, FU-B), is dropped, and then every unit
/// until the next IDR (inter frames would decode to garbage): `needsKeyframe()` says when to
/// ask the sender for one. An IDR counts only once a sequence and a picture parameter set
/// were seen (in-band, as WebRTC sends them before each IDR); the latest ones are kept for
/// the file's header. Allocates only at construction.
class H264FrameAssembler
{
public:
    explicit H264FrameAssembler(std::size_t maxFrameBytes = 4 * 1024 * 1024);

    /// Feeds one payload; returns the access unit it completes, if any. `lostBefore`:
    /// packets were lost just before this one.
    std::optional<H264Frame> push(std::span<const std::uint8_t> payload, std::uint32_t timestamp, bool marker,
                                  bool lostBefore);

    /// The latest SPS and PPS as an Annex B byte stream (empty until both were seen).
    std::span<const std::uint8_t> parameterSets() const;

    bool needsKeyframe() const { return waitingForKeyframe_; }
    std::uint64_t framesDropped() const { return framesDropped_; }
    std::uint64_t malformed() const { return malformed_; }

private:
    void dropFrame();
    bool appendNal(std::span<const std::uint8_t> nal);
    bool appendBytes(std::span<const std::uint8_t> bytes);
    void remember(std::vector<std::uint8_t>& store, std::span<const std::uint8_t> nal);

    std::vector<std::uint8_t> frame_;
    std::vector<std::uint8_t> sps_;
    std::vector<std::uint8_t> pps_;
    mutable std::vector<std::uint8_t> parameterSets_;
    std::size_t maxFrameBytes_;
    bool inFrame_ = false;
    bool broken_ = false;       ///< the unit being assembled lost something
    bool inFragment_ = false;   ///< inside an FU-A
    std::size_t fragmentStart_ = 0; ///< where the fragmented NAL unit begins in frame_
    bool hasIdr_ = false;
    std::uint32_t timestamp_ = 0;
    bool waitingForKeyframe_ = true;
    std::uint64_t framesDropped_ = 0;
    std::uint64_t malformed_ = 0;
};

} // namespace parley::recorder
