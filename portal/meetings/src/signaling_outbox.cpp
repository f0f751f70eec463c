#include <parley/portal/meetings/signaling_outbox.h>

namespace parley::portal {

SignalingOutbox::SignalingOutbox(std::size_t maxQueuedBytes) : maxQueuedBytes_(maxQueuedBytes) {}

SignalingOutbox::~SignalingOutbox() = default;

void SignalingOutbox::setWake(std::function<void()> wake)
{
    std::lock_guard lock(mutex_);
    wake_ = std::move(wake);
    if (wake_ && (!queue_.empty() || close_))
        wake_();
}

void SignalingOutbox::send(const std::string& text)
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
    // Under the lock, so that setWake() can promise the old function is done.
    if (wake_)
        wake_();
}

void SignalingOutbox::close(int code, const std::string& reason)
{
    std::lock_guard lock(mutex_);
    if (close_)
        return;
    close_.emplace(code, reason);
    if (wake_)
        wake_();
}

SignalingOutbox::Batch SignalingOutbox::take()
{
    std::lock_guard lock(mutex_);
    Batch batch;
    batch.messages.swap(queue_);
    queuedBytes_ = 0;
    batch.close = close_;
    return batch;
}

} // namespace parley::portal
