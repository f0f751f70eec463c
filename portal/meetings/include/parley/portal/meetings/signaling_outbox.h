#pragma once

#include <parley/portal/meetings/participant.h>

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

namespace parley::portal {

/// Messages waiting to be written to one WebSocket. Any thread may queue; only the
/// connection's own thread writes to the socket (OpenSSL does not allow a read and a write
/// on one connection from two threads), woken through an eventfd it polls beside the socket.
///
/// The queue is bounded: a client that stops reading while messages pile up is closed
/// (code 4008) instead of growing the server's memory.
class SignalingOutbox : public ParticipantSink
{
public:
    explicit SignalingOutbox(std::size_t maxQueuedBytes);
    ~SignalingOutbox() override;
    SignalingOutbox(const SignalingOutbox&) = delete;
    SignalingOutbox& operator=(const SignalingOutbox&) = delete;

    void send(const std::string& text) override;
    void close(int code, const std::string& reason) override;

    /// The descriptor to poll for readability; readable when something was queued.
    int wakeDescriptor() const { return eventFd_; }

    struct Batch
    {
        std::deque<std::string> messages;
        std::optional<std::pair<int, std::string>> close; ///< set once close() was called
    };
    /// Takes everything queued (and clears the wake-up).
    Batch take();

private:
    void wake();

    int eventFd_;
    std::size_t maxQueuedBytes_;
    std::mutex mutex_;
    std::deque<std::string> queue_;
    std::size_t queuedBytes_ = 0;
    std::optional<std::pair<int, std::string>> close_;
};

} // namespace parley::portal
