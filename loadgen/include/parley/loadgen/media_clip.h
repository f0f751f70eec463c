#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parley::loadgen {

/// Real encoded media to publish in a loop: the VP8 frames and Opus packets of a WebM file
/// (docs/benchmarks.md shows the ffmpeg command that makes one). Recordings of a run that
/// publishes a clip decode like a browser's.
struct MediaClip
{
    struct Frame
    {
        std::vector<std::uint8_t> data;
        bool keyframe = false;
    };
    std::vector<Frame> video; ///< VP8, the first one a keyframe
    std::vector<Frame> audio; ///< Opus, 20 ms each
    int fps = 30;
    int width = 0, height = 0;
    double videoBitsPerSecond() const;
};

/// Reads the file with libavformat. Throws std::runtime_error naming what is wrong: not
/// readable, no VP8 video (or it does not start with a keyframe), Opus packets other than
/// 20 ms, frames larger than the packetizer takes, or more than 10 minutes of it.
MediaClip loadMediaClip(const std::string& path);

} // namespace parley::loadgen
