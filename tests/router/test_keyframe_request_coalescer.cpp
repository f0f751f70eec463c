// Keyframe requests: the first at once, the rest of a second folded into one more.
#include <parley/router/keyframe_request_coalescer.h>

#include <catch2/catch.hpp>

using namespace parley::router;

TEST_CASE("keyframe requests within a second are folded into one more, none is forgotten", "[router]")
{
    KeyframeRequestCoalescer coalescer;
    CHECK(coalescer.request(0));
    // A lossy subscriber asks every 50 ms: folded, nothing sent in the window.
    for (std::int64_t t = 50'000; t < 1'000'000; t += 50'000) {
        CHECK_FALSE(coalescer.request(t));
        CHECK_FALSE(coalescer.due(t));
    }
    CHECK(coalescer.folded() == 19);
    // The window ends: one request for all of them.
    CHECK(coalescer.due(1'000'000));
    CHECK_FALSE(coalescer.due(1'100'000));
    // Ten seconds of requests every 50 ms send one a second, not twenty.
    std::uint64_t before = coalescer.sent();
    for (std::int64_t t = 1'050'000; t < 11'050'000; t += 50'000) {
        coalescer.request(t);
        coalescer.due(t);
    }
    CHECK(coalescer.sent() - before <= 11);
    CHECK(coalescer.sent() - before >= 9);
    // Quiet: nothing more; a later request goes out at once.
    CHECK_FALSE(coalescer.due(20'000'000));
    CHECK_FALSE(coalescer.due(30'000'000));
    CHECK(coalescer.request(40'000'000));
    // A clock going back (a hostile or broken caller) does not send a storm.
    CHECK_FALSE(coalescer.request(39'000'000));
}

TEST_CASE("a keyframe answers the requests before it: none is sent for them at the window's end", "[router]")
{
    KeyframeRequestCoalescer coalescer;
    CHECK(coalescer.request(0));
    CHECK_FALSE(coalescer.request(100'000)); // folded
    coalescer.onKeyframe();                  // at 300 ms, say
    CHECK_FALSE(coalescer.due(1'000'000));   // nothing left to ask for
    CHECK(coalescer.request(1'100'000));     // a new loss after the window: at once
    // A request after a keyframe but inside the window still waits for the window's end:
    // keyframes cannot be had more than about once a second.
    coalescer.onKeyframe();
    CHECK_FALSE(coalescer.request(1'200'000));
    CHECK_FALSE(coalescer.due(1'500'000));
    CHECK(coalescer.due(2'100'000));
}
