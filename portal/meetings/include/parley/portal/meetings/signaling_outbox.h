#pragma once

#include <parley/portal/meetings/participant.h>

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace parley::portal {

/// Messages waiting to be written to one WebSocket. Any thread may queue; only the thread
/// that serves the connection writes to the socket (OpenSSL does not allow a read and a
/// write on one connection from two threads). It learns of new messages through the wake
/// function it sets.
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

    /// Sets what is called, on the queuing thread, each time a message or a close is
    /// queued (and once now if something waits); an empty function detaches. Once this
    /// returns, the previous function is not running and is never called again.
    void setWake(std::function<void()> wake);

    struct Batch
    {
        std::deque<std::string> messages;
        std::optional<std::pair<int, std::string>> close; ///< set once close() was called
    };
    /// Takes everything queued.
    Batch take();

private:
    std::size_t maxQueuedBytes_;
    std::function<void()> wake_;
    std::mutex mutex_;
    std::deque<std::string> queue_;
    std::size_t queuedBytes_ = 0;
    std::optional<std::pair<int, std::string>> close_;
};

} // namespace parley::portal
