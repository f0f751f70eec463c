#pragma once

#include "keyframe_requester.h"
#include "layer_switch.h"
#include "publication.h"

#include <parley/router/media_tap.h>

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>

namespace parley::router {

/// The rooms being recorded and the copy of their tracks into each recorder's MediaTap ring:
/// a TrackAdded entry when a publication joins the tap (with a keyframe request for video),
/// its plain RTP packets and sender reports, TrackRemoved when it ends. A copy is one memcpy
/// into a claimed ring entry, no lock and no allocation; when the ring is full the copy is
/// lost (the recorder is behind) rather than the router waiting.
class RecordingTaps
{
public:
    explicit RecordingTaps(KeyframeRequester& keyframes) : keyframes_(keyframes) {}

    /// Records room `roomId` into `tap` from now on (attach its publications after this).
    void start(std::int64_t roomId, std::shared_ptr<MediaTap> tap) { taps_[roomId] = {std::move(tap), 0}; }
    /// Stops recording `roomId` (detach nothing: the recorder ends every track itself).
    void stop(std::int64_t roomId) { taps_.erase(roomId); }

    /// Starts copying `publication` if its room is recorded and it is not copied yet.
    void attach(Publication& publication, std::int64_t roomId, std::int64_t nowMicros);
    /// Ends the copy of `publication` (TrackRemoved) if there is one.
    static void detach(Publication& publication);
    /// On the timer: a recorded simulcast publication moves to its best layer sending (at
    /// that layer's keyframe, which it asks for).
    void followBestLayer(Publication& publication, std::int64_t nowMicros);

    /// A packet of `publication`'s layer `layer` (parsed as `view`; `vp8` its descriptor for
    /// VP8 simulcast): copied when it is the layer recorded, renumbered like a subscriber's
    /// copy so the recording continues across a switch to a better layer.
    static void copyRtp(Publication& publication, int layer, std::span<const std::uint8_t> packet, const RtpView& view,
                        bool keyframe, const Vp8Descriptor* vp8, std::int64_t arrivalMicros);
    /// A sender report about layer `layer`: copied when it is the layer recorded.
    static void copySenderReport(Publication& publication, int layer, std::uint64_t ntp, std::uint32_t rtpTimestamp,
                                 std::int64_t arrivalMicros);

private:
    struct Tap
    {
        std::shared_ptr<MediaTap> ring;
        std::uint16_t nextTrack = 0;
    };

    KeyframeRequester& keyframes_;
    std::unordered_map<std::int64_t, Tap> taps_;
};

} // namespace parley::router
