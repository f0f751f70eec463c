#include "recording_taps.h"

#include "layer_allocator.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace parley::router {

void RecordingTaps::attach(Publication& publication, std::int64_t roomId, std::int64_t nowMicros)
{
    const auto found = taps_.find(roomId);
    if (found == taps_.end() || publication.tap)
        return;
    auto& tap = found->second;
    auto* entry = tap.ring->claim();
    if (!entry)
        return; // the recorder is far behind; the track joins at its next negotiation
    publication.tap = tap.ring.get();
    publication.tapTrack = tap.nextTrack++;
    const std::string text = publication.trackId + " " + publication.label + " " + publication.codec + " " +
                             std::to_string(publication.clockRate);
    entry->kind = TapEntry::Kind::TrackAdded;
    entry->track = publication.tapTrack;
    entry->length = static_cast<std::uint16_t>(std::min(text.size(), TapEntry::kMaxData));
    std::memcpy(entry->data.data(), text.data(), entry->length);
    publication.tap->publish();
    // A recording of video starts at a keyframe, of the best layer there is.
    publication.tapLayers = LayerMapping{};
    publication.tapLayers.current = publication.simulcast() ? -1 : 0;
    keyframes_.requestAll(publication, nowMicros);
}

void RecordingTaps::followBestLayer(Publication& publication, std::int64_t nowMicros)
{
    if (!publication.tap || !publication.simulcast())
        return;
    const int best = LayerAllocator::sizeCap(publication, 0, nowMicros);
    if (best < 0)
        return;
    publication.tapLayers.target = best;
    if (best != publication.tapLayers.current)
        keyframes_.request(publication, best, nowMicros);
}

void RecordingTaps::detach(Publication& publication)
{
    if (!publication.tap)
        return;
    if (auto* entry = publication.tap->claim()) {
        entry->kind = TapEntry::Kind::TrackRemoved;
        entry->track = publication.tapTrack;
        entry->length = 0;
        publication.tap->publish();
    }
    publication.tap = nullptr;
}

void RecordingTaps::copyRtp(Publication& publication, int layer, std::span<const std::uint8_t> packet,
                            const RtpView& view, bool keyframe, const Vp8Descriptor* vp8, std::int64_t arrivalMicros)
{
    if (!publication.tap || packet.size() > TapEntry::kMaxData)
        return;
    CopyHeader header;
    if (!mapLayerPacket(publication.tapLayers, publication, layer, view, keyframe, vp8, arrivalMicros, header))
        return;
    auto* entry = publication.tap->claim();
    if (!entry)
        return;
    entry->kind = TapEntry::Kind::Rtp;
    entry->track = publication.tapTrack;
    entry->length = static_cast<std::uint16_t>(packet.size());
    entry->arrival = arrivalMicros;
    std::memcpy(entry->data.data(), packet.data(), packet.size());
    const std::span<std::uint8_t> copy(entry->data.data(), packet.size());
    writeRtpSequence(copy, header.sequence);
    writeRtpTimestamp(copy, header.timestamp);
    if (vp8)
        rewriteVp8Descriptor(copy.subspan(view.payloadOffset, view.payloadLength), *vp8, header.pictureId,
                             header.tl0PicIdx);
    publication.tap->publish();
}

void RecordingTaps::copySenderReport(Publication& publication, int layer, std::uint64_t ntp,
                                     std::uint32_t rtpTimestamp, std::int64_t arrivalMicros)
{
    if (!publication.tap || layer != publication.tapLayers.current)
        return;
    rtpTimestamp = mappedTimestamp(publication.tapLayers, rtpTimestamp);
    auto* entry = publication.tap->claim();
    if (!entry)
        return;
    entry->kind = TapEntry::Kind::SenderReport;
    entry->track = publication.tapTrack;
    entry->length = 0;
    entry->arrival = arrivalMicros;
    entry->ntp = ntp;
    entry->rtpTimestamp = rtpTimestamp;
    publication.tap->publish();
}

} // namespace parley::router
