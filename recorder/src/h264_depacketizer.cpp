#include <parley/recorder/h264_depacketizer.h>

#include <algorithm>

namespace parley::recorder {

namespace {

constexpr std::uint8_t kStartCode[4] = {0, 0, 0, 1};
constexpr std::uint8_t kStapA = 24;
constexpr std::uint8_t kFuA = 28;
constexpr std::uint8_t kIdr = 5;
constexpr std::uint8_t kSps = 7;
constexpr std::uint8_t kPps = 8;

std::uint8_t nalType(std::uint8_t header)
{
    return header & 0x1f;
}

} // namespace

H264FrameAssembler::H264FrameAssembler(std::size_t maxFrameBytes) : maxFrameBytes_(maxFrameBytes)
{
    frame_.reserve(maxFrameBytes);
    sps_.reserve(256);
    pps_.reserve(256);
    parameterSets_.reserve(520);
}

void H264FrameAssembler::dropFrame()
{
    if (inFrame_)
        ++framesDropped_;
    inFrame_ = false;
    broken_ = false;
    inFragment_ = false;
    hasIdr_ = false;
    frame_.clear();
    waitingForKeyframe_ = true;
}

bool H264FrameAssembler::appendBytes(std::span<const std::uint8_t> bytes)
{
    if (frame_.size() + bytes.size() > maxFrameBytes_)
        return false;
    frame_.insert(frame_.end(), bytes.begin(), bytes.end());
    return true;
}

void H264FrameAssembler::remember(std::vector<std::uint8_t>& store, std::span<const std::uint8_t> nal)
{
    if (nal.size() > store.capacity())
        return; // a parameter set is tens of bytes; this is not one to keep
    store.assign(nal.begin(), nal.end());
}

bool H264FrameAssembler::appendNal(std::span<const std::uint8_t> nal)
{
    // The forbidden bit set, or an aggregation/fragment type inside an aggregate: malformed.
    if (nal.empty() || (nal[0] & 0x80) || nalType(nal[0]) == 0 || nalType(nal[0]) >= kStapA)
        return false;
    const auto type = nalType(nal[0]);
    if (type == kIdr)
        hasIdr_ = true;
    else if (type == kSps)
        remember(sps_, nal);
    else if (type == kPps)
        remember(pps_, nal);
    return appendBytes(kStartCode) && appendBytes(nal);
}

std::optional<H264Frame> H264FrameAssembler::push(std::span<const std::uint8_t> payload, std::uint32_t timestamp,
                                                  bool marker, bool lostBefore)
{
    if (lostBefore)
        dropFrame();
    if (inFrame_ && timestamp != timestamp_) {
        // The previous unit's last packet (with the marker) never came.
        dropFrame();
    }
    if (!inFrame_) {
        inFrame_ = true;
        timestamp_ = timestamp;
        frame_.clear();
    }
    bool ok = !payload.empty() && !broken_;
    if (ok) {
        const std::uint8_t header = payload[0];
        const auto type = nalType(header);
        if (header & 0x80)
            ok = false;
        else if (type >= 1 && type < kStapA) {
            ok = !inFragment_ && appendNal(payload);
        }
        else if (type == kStapA) {
            // [STAP-A header] then ([16-bit size][NAL unit])...
            std::size_t at = 1;
            ok = !inFragment_ && payload.size() > 3;
            while (ok && at < payload.size()) {
                if (at + 2 > payload.size()) {
                    ok = false;
                    break;
                }
                const std::size_t size = (std::size_t{payload[at]} << 8) | payload[at + 1];
                at += 2;
                ok = size > 0 && at + size <= payload.size() && appendNal(payload.subspan(at, size));
                at += size;
            }
        }
        else if (type == kFuA) {
            // [FU indicator (F, NRI, 28)][FU header (S, E, R, type)][fragment]
            ok = payload.size() > 2;
            if (ok) {
                const std::uint8_t fu = payload[1];
                const bool start = fu & 0x80;
                const bool end = fu & 0x40;
                const std::uint8_t original = static_cast<std::uint8_t>((header & 0xe0) | nalType(fu));
                if (start) {
                    ok = !inFragment_ && !(start && end) && nalType(fu) != 0 && nalType(fu) < kStapA;
                    if (ok) {
                        fragmentStart_ = frame_.size();
                        ok = appendBytes(kStartCode) && appendBytes(std::span(&original, 1));
                        inFragment_ = true;
                        if (nalType(fu) == kIdr)
                            hasIdr_ = true;
                    }
                }
                else
                    ok = inFragment_; // a middle or end without its start
                ok = ok && appendBytes(payload.subspan(2));
                if (ok && end) {
                    inFragment_ = false;
                    const auto nal = std::span<const std::uint8_t>(frame_).subspan(fragmentStart_ + 4);
                    if (nalType(original) == kSps)
                        remember(sps_, nal);
                    else if (nalType(original) == kPps)
                        remember(pps_, nal);
                }
            }
        }
        else
            ok = false; // STAP-B, MTAP16/24, FU-B or reserved: not in packetization-mode 1
        if (!ok && !payload.empty() && !broken_)
            ++malformed_;
    }
    if (!ok)
        broken_ = true;
    if (!marker)
        return std::nullopt;
    // The unit is complete (or broken).
    const bool usable = !broken_ && !inFragment_ && !frame_.empty();
    const bool keyframe = hasIdr_ && !sps_.empty() && !pps_.empty();
    inFrame_ = false;
    inFragment_ = false;
    hasIdr_ = false;
    if (!usable) {
        broken_ = false;
        ++framesDropped_;
        frame_.clear();
        waitingForKeyframe_ = true;
        return std::nullopt;
    }
    if (waitingForKeyframe_ && !keyframe) {
        ++framesDropped_;
        return std::nullopt;
    }
    waitingForKeyframe_ = false;
    return H264Frame{frame_, timestamp_, keyframe};
}

std::span<const std::uint8_t> H264FrameAssembler::parameterSets() const
{
    parameterSets_.clear();
    if (sps_.empty() || pps_.empty())
        return {};
    parameterSets_.insert(parameterSets_.end(), std::begin(kStartCode), std::end(kStartCode));
    parameterSets_.insert(parameterSets_.end(), sps_.begin(), sps_.end());
    parameterSets_.insert(parameterSets_.end(), std::begin(kStartCode), std::end(kStartCode));
    parameterSets_.insert(parameterSets_.end(), pps_.begin(), pps_.end());
    return parameterSets_;
}

} // namespace parley::recorder
