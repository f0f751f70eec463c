#include <parley/portal/meetings/signaling_outbox.h>

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace parley::portal {

SignalingOutbox::SignalingOutbox(std::size_t maxQueuedBytes)
    : eventFd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)), maxQueuedBytes_(maxQueuedBytes)
{
    if (eventFd_ < 0)
        throw std::runtime_error(std::string("eventfd failed: ") + std::strerror(errno));
}

SignalingOutbox::~SignalingOutbox()
{
    ::close(eventFd_);
}

void SignalingOutbox::wake()
{
    const std::uint64_t one = 1;
    // A full counter (never in practice) still leaves the descriptor readable.
    [[maybe_unused]] const auto written = ::write(eventFd_, &one, sizeof one);
}

void SignalingOutbox::send(const std::string& text)
{
    {
        std::lock_guard lock(mutex_);
        if (close_)
            return;
        if (queuedBytes_ + text.size() > maxQueuedBytes_) {
            queue_.clear();
            queuedBytes_ = 0;
            close_.emplace(4008, "not reading messages fast enough");
        }
        else {
            queuedBytes_ += text.size();
            queue_.push_back(text);
        }
    }
    wake();
}

void SignalingOutbox::close(int code, const std::string& reason)
{
    {
        std::lock_guard lock(mutex_);
        if (close_)
            return;
        close_.emplace(code, reason);
    }
    wake();
}

SignalingOutbox::Batch SignalingOutbox::take()
{
    std::uint64_t count = 0;
    [[maybe_unused]] const auto read = ::read(eventFd_, &count, sizeof count);
    std::lock_guard lock(mutex_);
    Batch batch;
    batch.messages.swap(queue_);
    queuedBytes_ = 0;
    batch.close = close_;
    return batch;
}

} // namespace parley::portal
