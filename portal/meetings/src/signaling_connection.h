#pragma once

#include "message_rate_limit.h"
#include <parley/portal/http/websocket_frame_reader.h>
#include <parley/portal/http/websocket_handshake.h>
#include <parley/portal/meetings/meeting_settings.h>
#include <parley/portal/meetings/signaling_hub.h>

#include <Poco/Net/SecureStreamSocket.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace parley::portal {

class SignalingOutbox;
class SignalingSession;

/// One signaling WebSocket, served by a reactor thread without a thread of its own: the
/// socket is non-blocking, and each call does what can be done now and returns. It reads
/// frames (joining fragments, answering pings, enforcing the size and rate limits), hands
/// whole text messages to the session, writes what the outbox holds, pings a quiet client
/// and closes an idle or unjoined one. All calls come from the one thread that owns it.
///
/// Close codes it uses itself (docs/signaling.md): 1000 after leave, 1001 server shutdown,
/// 1002 protocol error, 1003 binary message, 1009 message too big, 4408 timeout,
/// 4429 message rate exceeded, 4008 not reading, 1011 server error.
class SignalingConnection
{
public:
    using Clock = std::chrono::steady_clock;

    SignalingConnection(AcceptedWebSocket accepted, std::shared_ptr<SignalingOutbox> outbox,
                        std::unique_ptr<SignalingSession> session, std::unique_ptr<SignalingHub::Ticket> ticket,
                        const SignalingSettings& settings);
    /// Detaches from the outbox, and tells the session the connection is gone if nothing
    /// else has.
    ~SignalingConnection();
    SignalingConnection(const SignalingConnection&) = delete;
    SignalingConnection& operator=(const SignalingConnection&) = delete;

    int descriptor() const { return fd_; }
    SignalingOutbox& outbox() { return *outbox_; }

    /// The socket has something to read (or was hung up); also called once at the start,
    /// for bytes that came with the handshake. `scratch` is the thread's receive buffer. Returns true when it stopped with more possibly left to read, to be called
    /// again soon, so one busy client cannot hold the thread.
    bool onReadable(char* scratch, std::size_t size);
    /// The socket takes writes again. Returns true when a read was waiting for it (TLS
    /// wanted to write while reading), to be retried now.
    bool onWritable();
    /// The socket reports a hang-up or an error: the connection is gone.
    void onHangUp();
    /// The outbox has something: queue it and write.
    void onMail();
    /// Timers: join and idle timeouts, pings, the session's tick, a client that stopped
    /// reading, the end of a lingering close.
    void onTimer(Clock::time_point now);

    /// What to wait for on the socket (EPOLLIN, EPOLLOUT). While its writes are blocked, an
    /// open connection is not read either: a client that sends (pings, say) without reading
    /// the answers is held back by TCP instead of growing what waits to be written.
    std::uint32_t interest() const;
    /// Done: the reactor removes and destroys it.
    bool finished() const { return state_ == State::Finished; }

private:
    enum class State
    {
        Open,
        Closing,   ///< our close frame is queued; waiting for it to be written
        Lingering, ///< written and our side shut: draining what the client still sends
        Finished,
    };

    void handle(WebSocketMessage& message);
    /// Hands on every whole message the reader holds; false once the connection ended.
    bool drainReader();
    void deliver(std::string& text);
    /// Ends the conversation: the session learns of it, and unless `code` is 0 (the
    /// connection is already gone) a close frame goes out before the socket closes.
    void end(int code, const std::string& reason);
    void flush();
    void lingerRead(char* scratch, std::size_t size);
    bool writePending() const { return !inFlight_.empty() || !queued_.empty(); }

    Poco::Net::SecureStreamSocket socket_;
    int fd_;
    std::shared_ptr<SignalingOutbox> outbox_;
    std::unique_ptr<SignalingSession> session_;
    std::unique_ptr<SignalingHub::Ticket> ticket_;
    const SignalingSettings& settings_;
    WebSocketFrameReader reader_;
    MessageRateLimit rate_;
    std::size_t maxQueuedBytes_;

    State state_ = State::Open;
    bool ended_ = false;
    bool joinedOnce_ = false;
    std::uint64_t dropped_ = 0;
    /// OpenSSL wants a write retried with the same bytes: inFlight_ is not touched until it
    /// is written, and new frames go to queued_.
    std::string inFlight_;
    std::string queued_;
    bool wantsWrite_ = false;
    bool writeWantsRead_ = false;
    bool readWantsWrite_ = false;
    std::size_t lingerDrained_ = 0;
    Clock::time_point started_;
    Clock::time_point lastHeard_;
    Clock::time_point lastPing_;
    Clock::time_point lastTick_{};
    Clock::time_point writeBlockedSince_{};
    Clock::time_point closingSince_{};
};

} // namespace parley::portal
