#pragma once

#include <parley/recorder/composition_layout.h>
#include <parley/recorder/name_label.h>
#include <parley/recorder/recording_composer.h>

#include "composition_frame.h"
#include "track_decoder.h"

extern "C" {
#include <libswscale/swscale.h>
}

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace parley::recorder {

/// One video track: the newest picture due at the current output time, drawn into whatever
/// cell the layout gives it, with its participant's name.
class VideoTrack
{
public:
    VideoTrack(const CompositionInput& input, std::size_t participant);
    ~VideoTrack() { sws_freeContext(scaler_); }
    VideoTrack(const VideoTrack&) = delete;
    VideoTrack& operator=(const VideoTrack&) = delete;

    void advanceTo(std::int64_t ms);

    /// Whether it has a picture to show at `ms` (not before its first, not long after its
    /// last: camera off, participant gone).
    bool visible(std::int64_t ms) const;

    void paint(AVFrame& canvas, const Placement& placement, const std::string& font, std::string& labelError);

    const TrackDecoder& decoder() const { return decoder_; }
    std::size_t participant() const { return participant_; }
    TileKind kind() const { return kind_; }
    std::int64_t firstMs() const { return firstMs_; }

private:
    void drawName(AVFrame& canvas, const Placement& placement, const std::string& font, std::string& labelError);

    TrackDecoder decoder_;
    std::string name_;
    std::size_t participant_;
    TileKind kind_;
    std::int64_t firstMs_;
    FramePtr shown_;
    FramePtr pending_;
    SwsContext* scaler_ = nullptr;
    std::unique_ptr<NameLabel> largeLabel_;
    std::unique_ptr<NameLabel> smallLabel_;
    int labelWidth_[2] = {0, 0};
    bool labelFailed_ = false;
    std::int64_t shownMs_ = 0;
    std::int64_t pendingMs_ = 0;
    bool hasShown_ = false;
    bool hasPending_ = false;
    bool ended_ = false;
};

} // namespace parley::recorder
