#include <parley/recorder/vp8_depacketizer.h>

#include <tuple>

namespace parley::recorder {

bool parseVp8Descriptor(std::span<const std::uint8_t> payload, Vp8Descriptor& descriptor)
{
    //  X|R|N|S|R|PID   then, if X: I|L|T|K|RSV, then PictureID (1 or 2 bytes if I),
    //  TL0PICIDX (if L), TID|Y|KEYIDX (if T or K).
    if (payload.empty())
        return false;
    std::size_t at = 1;
    const std::uint8_t first = payload[0];
    descriptor.startOfPartition = (first & 0x10) != 0;
    descriptor.partitionId = first & 0x07;
    if (first & 0x80) {
        if (payload.size() <= at)
            return false;
        const std::uint8_t extension = payload[at++];
        if (extension & 0x80) { // I: picture ID, 7 or 15 bits
            if (payload.size() <= at)
                return false;
            at += (payload[at] & 0x80) ? 2 : 1;
        }
        if (extension & 0x40) // L
            ++at;
        if (extension & 0x30) // T or K
            ++at;
    }
    if (at >= payload.size())
        return false;
    descriptor.length = at;
    return true;
}

Vp8FrameAssembler::Vp8FrameAssembler(std::size_t maxFrameBytes)
    : maxFrameBytes_(maxFrameBytes)
{
    frame_.reserve(maxFrameBytes);
}

void Vp8FrameAssembler::dropFrame()
{
    if (inFrame_)
        ++framesDropped_;
    inFrame_ = false;
    frame_.clear();
    waitingForKeyframe_ = true;
}

std::optional<Vp8Frame> Vp8FrameAssembler::push(std::span<const std::uint8_t> payload, std::uint32_t timestamp,
                                                bool marker, bool lostBefore)
{
    Vp8Descriptor descriptor;
    if (!parseVp8Descriptor(payload, descriptor)) {
        ++malformed_;
        dropFrame();
        return std::nullopt;
    }
    if (lostBefore)
        dropFrame();
    const bool starts = descriptor.startOfPartition && descriptor.partitionId == 0;
    if (starts) {
        if (inFrame_)
            dropFrame(); // the previous frame never saw its marker
        inFrame_ = true;
        timestamp_ = timestamp;
        frame_.clear();
    }
    else if (!inFrame_ || timestamp != timestamp_) {
        if (inFrame_)
            dropFrame();
        return std::nullopt; // the middle of a frame whose start is gone
    }
    const auto data = payload.subspan(descriptor.length);
    if (frame_.size() + data.size() > maxFrameBytes_) {
        ++malformed_;
        dropFrame();
        return std::nullopt;
    }
    frame_.insert(frame_.end(), data.begin(), data.end());
    if (!marker)
        return std::nullopt;
    inFrame_ = false;

    // The frame tag (RFC 6386 9.1): bit 0 clear for a keyframe, which then carries the start
    // code 9d 01 2a and the 14-bit width and height.
    Vp8Frame frame;
    frame.data = frame_;
    frame.timestamp = timestamp_;
    frame.keyframe = isVp8Keyframe(frame_);
    if (frame.keyframe) {
        const auto size = vp8KeyframeSize(frame_);
        if (!size) {
            ++malformed_;
            dropFrame();
            return std::nullopt;
        }
        std::tie(frame.width, frame.height) = *size;
        waitingForKeyframe_ = false;
    }
    else if (waitingForKeyframe_) {
        ++framesDropped_;
        return std::nullopt;
    }
    return frame;
}

std::optional<std::pair<int, int>> vp8KeyframeSize(std::span<const std::uint8_t> frame)
{
    if (!isVp8Keyframe(frame) || frame.size() < 10 || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a)
        return std::nullopt;
    return std::pair{(frame[6] | frame[7] << 8) & 0x3fff, (frame[8] | frame[9] << 8) & 0x3fff};
}

} // namespace parley::recorder
