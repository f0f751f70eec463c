#include <parley/router/keyframe_request_coalescer.h>

namespace parley::router {

bool KeyframeRequestCoalescer::request(std::int64_t nowMicros)
{
    if (outstanding_ && nowMicros - sentAt_ < kWindowMicros) {
        deferred_ = true;
        ++folded_;
        return false;
    }
    outstanding_ = true;
    deferred_ = false;
    sentAt_ = nowMicros;
    ++sent_;
    return true;
}

bool KeyframeRequestCoalescer::due(std::int64_t nowMicros)
{
    if (!outstanding_ || nowMicros - sentAt_ < kWindowMicros)
        return false;
    outstanding_ = false;
    if (!deferred_)
        return false;
    // What was folded during the window gets one request of its own.
    deferred_ = false;
    outstanding_ = true;
    sentAt_ = nowMicros;
    ++sent_;
    return true;
}

void KeyframeRequestCoalescer::onKeyframe()
{
    // The window stays: requests after this keyframe still wait for its end, so the bound
    // of about one keyframe a second holds however often subscribers ask.
    deferred_ = false;
}

} // namespace parley::router
