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
    outstanding_ = false;
    deferred_ = false;
}

} // namespace parley::router
