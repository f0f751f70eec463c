#include "layer_allocator.h"

#include <algorithm>
#include <array>
#include <limits>

namespace parley::router {
namespace {

struct Choice
{
    Publication* publication = nullptr;
    OutgoingStream* stream = nullptr;
    int cap = -1;
    int chosen = -1;
};

std::uint64_t rateOf(const Publication& publication, int layer)
{
    return layer < 0 ? 0 : publication.layers[static_cast<std::size_t>(layer)].bitsPerSecond;
}

/// A layer to choose: sending, and with its rate measured over full seconds (a layer that
/// just started would look cheap and draw everyone to it).
bool eligible(const InboundLayer& layer, std::int64_t nowMicros)
{
    return layer.settled(nowMicros);
}

/// The next eligible layer above `layer`, up to `cap`, or -1.
int nextActive(const Publication& publication, int layer, int cap, std::int64_t nowMicros)
{
    for (int i = layer + 1; i <= cap; ++i)
        if (eligible(publication.layers[static_cast<std::size_t>(i)], nowMicros))
            return i;
    return -1;
}

} // namespace

int LayerAllocator::sizeCap(const Publication& publication, std::uint16_t shownHeight, std::int64_t nowMicros)
{
    int cap = -1;
    for (int i = 0; i < static_cast<int>(publication.layers.size()); ++i) {
        const auto& layer = publication.layers[static_cast<std::size_t>(i)];
        if (!eligible(layer, nowMicros))
            continue;
        cap = i;
        // The first layer at least as tall as the picture on the page is enough; one of
        // unknown height (no keyframe seen yet) does not stop the search.
        if (shownHeight != 0 && layer.height >= shownHeight)
            break;
    }
    return cap;
}

std::uint64_t LayerAllocator::allocate(Participant& subscriber, std::uint32_t budgetBps, std::int64_t nowMicros)
{
    std::array<Choice, kMaxVideos> choices{};
    std::size_t count = 0;
    std::uint64_t budget = budgetBps;
    std::uint64_t wanted = 0;
    auto spend = [&budget](std::uint64_t rate) { budget = rate >= budget ? 0 : budget - rate; };
    for (auto& subscription : subscriber.subscriptions) {
        auto& publication = *subscription.publication;
        auto* stream = publication.outgoingTo(subscriber, subscription.ssrc);
        if (!stream)
            continue;
        if (!publication.simulcast()) {
            spend(rateOf(publication, 0));
            wanted += rateOf(publication, 0);
            continue;
        }
        if (count == kMaxVideos)
            continue;
        auto& choice = choices[count++];
        choice.publication = &publication;
        choice.stream = stream;
        choice.cap = sizeCap(publication, stream->shownHeight, nowMicros);
        choice.chosen = nextActive(publication, -1, choice.cap, nowMicros);
        spend(rateOf(publication, choice.chosen));
        wanted += rateOf(publication, choice.cap);
    }
    // One step up at a time, each video in turn, while the steps fit.
    for (bool stepped = true; stepped;) {
        stepped = false;
        for (std::size_t i = 0; i < count; ++i) {
            auto& c = choices[i];
            const int next = nextActive(*c.publication, c.chosen, c.cap, nowMicros);
            if (next < 0)
                continue;
            auto step = rateOf(*c.publication, next) - std::min(rateOf(*c.publication, next), rateOf(*c.publication, c.chosen));
            // Going above the layer it has needs a margin; keeping it tolerates a rate that
            // runs over the budget a little (a second with a keyframe in it), so one
            // measurement does not flip it.
            const bool aboveCurrent = next > c.stream->layers.current;
            const auto needed = static_cast<std::uint64_t>(double(step) * (aboveCurrent ? kUpgradeMargin : kKeepTolerance));
            if (needed > budget)
                continue;
            spend(step);
            c.chosen = next;
            stepped = true;
        }
    }
    for (std::size_t i = 0; i < count; ++i)
        if (choices[i].chosen >= 0)
            choices[i].stream->layers.target = choices[i].chosen;
    return wanted;
}

} // namespace parley::router
