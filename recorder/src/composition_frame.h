#pragma once

#include "composition_error.h"

extern "C" {
#include <libavutil/frame.h>
}

#include <memory>

namespace parley::recorder {

struct FrameDeleter
{
    void operator()(AVFrame* frame) const { av_frame_free(&frame); }
};
/// An AVFrame owned (av_frame_free).
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;

/// A new empty frame; throws (failComposition) when out of memory.
inline FramePtr newFrame()
{
    FramePtr frame(av_frame_alloc());
    if (!frame)
        failComposition("out of memory");
    return frame;
}

} // namespace parley::recorder
