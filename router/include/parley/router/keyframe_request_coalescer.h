#pragma once

#include <cstdint>

namespace parley::router {

/// Decides when the router asks a publisher for a keyframe (RTCP PLI), whoever asked it:
/// subscribers that lost packets, new subscribers, the recorder. The first request goes out
/// at once; requests while one is outstanding (a keyframe takes up to a second to come) are
/// folded into it, and one more request is sent when that window ends if any came in
/// meanwhile, unless a keyframe came first, so one lossy subscriber cannot make every
/// subscriber receive keyframes several times a second, and no request is forgotten. Times in microseconds on one steady clock.
class KeyframeRequestCoalescer
{
public:
    /// How long one request covers every request that follows it.
    static constexpr std::int64_t kWindowMicros = 1'000'000;

    /// Someone needs a keyframe at `nowMicros`: true when a PLI is to be sent now.
    bool request(std::int64_t nowMicros);

    /// Called on the timer: true when a request folded during the window that has just
    /// ended is to be sent now.
    bool due(std::int64_t nowMicros);

    /// A keyframe arrived: it answers every request made so far, so the one folded for the
    /// window's end is not sent (requests after it are, at the window's end).
    void onKeyframe();

    std::uint64_t sent() const { return sent_; }
    std::uint64_t folded() const { return folded_; }

private:
    bool outstanding_ = false;
    bool deferred_ = false;
    std::int64_t sentAt_ = 0;
    std::uint64_t sent_ = 0;
    std::uint64_t folded_ = 0;
};

} // namespace parley::router
