#include <parley/router/media_tap.h>

#include <stdexcept>

namespace parley::router {

MediaTap::MediaTap(std::size_t capacity)
    : entries_(capacity), mask_(capacity - 1)
{
    if (capacity < 2 || (capacity & (capacity - 1)) != 0)
        throw std::invalid_argument("a media tap holds a power of two of entries");
}

TapEntry* MediaTap::claim()
{
    const std::size_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_.load(std::memory_order_acquire) > mask_) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return nullptr;
    }
    return &entries_[head & mask_];
}

void MediaTap::publish()
{
    head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

const TapEntry* MediaTap::peek()
{
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail == head_.load(std::memory_order_acquire))
        return nullptr;
    return &entries_[tail & mask_];
}

void MediaTap::consume()
{
    tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

} // namespace parley::router
