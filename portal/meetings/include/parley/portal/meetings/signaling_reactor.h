#pragma once

#include <parley/portal/http/websocket_handshake.h>
#include <parley/portal/meetings/meeting_settings.h>
#include <parley/portal/meetings/signaling_hub.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

namespace parley::portal {

class SignalingOutbox;
class SignalingSession;

/// Serves every signaling WebSocket once its handshake is done, on a few threads of its own
/// (named `parley-signal`) instead of a thread per connection: each thread waits on its
/// connections' sockets with epoll and serves whichever is ready, without blocking on any.
/// A connection stays on the thread it was given, so its session sees one thread.
/// Thousands of connections cost a socket and a few kilobytes each, not a thread and its
/// stack.
class SignalingReactor
{
public:
    /// Starts `threads` threads; 0: one per core, at least two (a session's handling may
    /// wait on the database, and another thread keeps serving meanwhile).
    explicit SignalingReactor(unsigned threads = 0);
    /// Stops (see stop()).
    ~SignalingReactor();
    SignalingReactor(const SignalingReactor&) = delete;
    SignalingReactor& operator=(const SignalingReactor&) = delete;

    /// Takes over a connection whose handshake was answered; from here the reactor owns it
    /// and everything given with it until it closes. Called from any thread.
    void adopt(AcceptedWebSocket accepted, std::shared_ptr<SignalingOutbox> outbox,
               std::unique_ptr<SignalingSession> session, std::unique_ptr<SignalingHub::Ticket> ticket,
               const SignalingSettings& settings);

    /// Connections open now, closing ones included.
    std::size_t connections() const;

    /// Waits until every connection has closed or `deadline` has passed; true when none is
    /// left. Closing them is someone else's (SignalingHub::closeAll).
    bool waitUntilIdle(std::chrono::steady_clock::time_point deadline) const;

    /// Stops the threads. Connections still open are dropped without a close frame, their
    /// sessions told the server is shutting down. Idempotent.
    void stop();

private:
    class Loop;
    std::vector<std::unique_ptr<Loop>> loops_;
};

} // namespace parley::portal
