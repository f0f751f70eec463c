#include "layer_switch.h"

#include <algorithm>
#include <cmath>

namespace parley::router {
namespace {

constexpr std::uint16_t kPictureIdMask = 0x7fff;
/// How far before a switch our numbers are still known to belong to the layer before it
/// (more than any packet store keeps).
constexpr std::uint16_t kSwitchMemory = 1024;

bool newer(std::uint16_t a, std::uint16_t b)
{
    return static_cast<std::int16_t>(static_cast<std::uint16_t>(a - b)) > 0;
}

/// RTP ticks from NTP time difference `ntp` (32.32 fixed point) at `clockRate`.
std::int64_t ticks(std::int64_t ntp, int clockRate)
{
    return std::llround(static_cast<double>(ntp) / 4294967296.0 * clockRate);
}

/// The timestamp offset that puts layer `to`'s first packet (`timestamp`, arriving now) just
/// after what the consumer got of layer `from`.
std::uint32_t switchTimestampOffset(const LayerMapping& m, const Publication& publication, int to,
                                    std::uint32_t timestamp, std::int64_t nowMicros)
{
    const auto& next = publication.layers[static_cast<std::size_t>(to)];
    std::uint32_t offset;
    if (m.current >= 0 && publication.layers[static_cast<std::size_t>(m.current)].reportNtp != 0 && next.reportNtp != 0) {
        // Both layers' clocks against NTP: the same instant in the old layer's RTP time.
        const auto& previous = publication.layers[static_cast<std::size_t>(m.current)];
        const auto ntpGap = static_cast<std::int64_t>(next.reportNtp - previous.reportNtp);
        const auto inPrevious = previous.reportRtpTimestamp + static_cast<std::uint32_t>(ticks(ntpGap, publication.clockRate));
        offset = inPrevious - next.reportRtpTimestamp + m.timestampOffset;
    }
    else {
        // In doubles: a copy idle for an hour would overflow the NTP-scaled integer.
        const auto elapsed = std::llround(std::min(double(nowMicros - m.lastSentMicros), 60e6) / 1e6 * publication.clockRate);
        offset = m.lastTimestamp + static_cast<std::uint32_t>(std::max<std::int64_t>(elapsed, 1)) - timestamp;
    }
    // Never backwards: a decoder would take the new frames for old ones.
    if (static_cast<std::int32_t>(timestamp + offset - m.lastTimestamp) <= 0)
        offset = m.lastTimestamp + 1 - timestamp;
    return offset;
}

/// Whether our number `sequence` comes from before the last switch (a layer no longer sent).
bool beforeSwitch(const LayerMapping& m, std::uint16_t sequence)
{
    if (m.previous < 0)
        return false;
    const auto behind = static_cast<std::uint16_t>(m.switchSequence - sequence);
    return behind != 0 && behind <= kSwitchMemory;
}

void apply(const LayerMapping& m, const RtpView& view, const Vp8Descriptor* vp8, CopyHeader& header)
{
    header.sequence = static_cast<std::uint16_t>(view.sequence + m.sequenceOffset);
    header.timestamp = view.timestamp + m.timestampOffset;
    header.vp8 = vp8;
    if (vp8) {
        header.pictureId = static_cast<std::uint16_t>((vp8->pictureId + m.pictureIdOffset) & kPictureIdMask);
        header.tl0PicIdx = static_cast<std::uint8_t>(vp8->tl0PicIdx + m.tl0Offset);
    }
}

} // namespace

bool mapLayerPacket(LayerMapping& m, const Publication& publication, int layer, const RtpView& view, bool keyframe,
                    const Vp8Descriptor* vp8, std::int64_t nowMicros, CopyHeader& header)
{
    if (layer != m.current) {
        if (layer != m.target || !keyframe)
            return false;
        if (m.sent) {
            // (After a layer restarted under a new SSRC there is no current one; the numbers
            // before the switch are still not this layer's.)
            m.previous = m.current >= 0 ? m.current : layer;
            m.previousSequenceOffset = m.sequenceOffset;
            m.timestampOffset = switchTimestampOffset(m, publication, layer, view.timestamp, nowMicros);
            m.sequenceOffset = static_cast<std::uint16_t>(m.lastSequence + 1 - view.sequence);
            if (vp8) {
                m.pictureIdOffset = static_cast<std::uint16_t>((m.lastPictureId + 1 - vp8->pictureId) & kPictureIdMask);
                m.tl0Offset = static_cast<std::uint8_t>(m.lastTl0 + 1 - vp8->tl0PicIdx);
            }
        }
        m.current = layer;
        m.switchSequence = static_cast<std::uint16_t>(view.sequence + m.sequenceOffset);
        ++m.switches;
    }
    else if (beforeSwitch(m, static_cast<std::uint16_t>(view.sequence + m.sequenceOffset))) {
        // A packet of this layer from before its keyframe (a late resend): its number would
        // be one the previous layer's packets had.
        return false;
    }
    apply(m, view, vp8, header);
    if (!m.sent || newer(header.sequence, m.lastSequence)) {
        m.lastSequence = header.sequence;
        m.lastTimestamp = header.timestamp;
        m.lastSentMicros = nowMicros;
        if (vp8) {
            m.lastPictureId = header.pictureId;
            m.lastTl0 = header.tl0PicIdx;
        }
    }
    m.sent = true;
    return true;
}

void mapStoredPacket(const LayerMapping& m, const RtpView& view, const Vp8Descriptor* vp8, CopyHeader& header)
{
    apply(m, view, vp8, header);
}

std::optional<std::uint16_t> originalSequence(const LayerMapping& m, std::uint16_t sequence)
{
    if (m.current < 0 || beforeSwitch(m, sequence))
        return std::nullopt;
    return static_cast<std::uint16_t>(sequence - m.sequenceOffset);
}

} // namespace parley::router
