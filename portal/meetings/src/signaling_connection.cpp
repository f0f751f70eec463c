#include "signaling_connection.h"

#include <parley/log/log_event.h>
#include <parley/portal/http/websocket_frame_writer.h>
#include <parley/portal/meetings/signaling_outbox.h>
#include <parley/portal/meetings/signaling_session.h>

#include <Poco/Logger.h>
#include <Poco/Net/NetException.h>

#include <sys/epoll.h>
#include <sys/socket.h>

#include <utility>

namespace parley::portal {
namespace {

using Poco::Net::SecureStreamSocket;

Poco::Logger& logger()
{
    return Poco::Logger::get("portal.signaling");
}

/// A client that does not read for this long, with frames waiting, is closed (4008); a
/// close frame that cannot be written within it is given up.
constexpr auto kWriteStall = std::chrono::seconds(10);
/// After our close frame, what the client still sends is read and discarded for this long,
/// so closing the socket does not turn into a TCP reset that destroys the close frame
/// before the client has read it.
constexpr auto kLinger = std::chrono::seconds(2);
constexpr std::size_t kMaxLingerBytes = 64 * 1024 * 1024;
/// Reads per readiness before other connections get their turn.
constexpr int kReadsPerTurn = 16;

/// Lost, not closed on purpose (the network went, the client stopped answering or
/// reading): a participant keeps its place for a while, to be resumed.
bool lostConnection(int code)
{
    return code == 0 || code == 4408 || code == 4008;
}

} // namespace

SignalingConnection::SignalingConnection(AcceptedWebSocket accepted, std::shared_ptr<SignalingOutbox> outbox,
                                         std::unique_ptr<SignalingSession> session,
                                         std::unique_ptr<SignalingHub::Ticket> ticket, const SignalingSettings& settings)
    : socket_(accepted.socket), fd_(socket_.impl()->sockfd()), outbox_(std::move(outbox)),
      session_(std::move(session)), ticket_(std::move(ticket)), settings_(settings),
      reader_(settings.maxMessageBytes), rate_(settings.messagesPerSecond, settings.messageBurst),
      // As the outbox's own bound: what waits here counts against the same budget.
      maxQueuedBytes_(settings.maxMessageBytes * 4 + 1024 * 1024), started_(Clock::now()), lastHeard_(started_),
      lastPing_(started_)
{
    // Poco's TLS socket keeps its own idea of blocking on an inner socket this one cannot
    // reach: with the descriptor non-blocking and its timeouts zero, a read or write that
    // would block ends in Poco::TimeoutException (or Poco's WANT_READ/WANT_WRITE codes).
    socket_.setBlocking(false);
    socket_.setReceiveTimeout(Poco::Timespan(0));
    socket_.setSendTimeout(Poco::Timespan(0));
    reader_.feed(accepted.early);
}

SignalingConnection::~SignalingConnection()
{
    outbox_->setWake({});
    if (!ended_)
        session_->onDisconnect("server shutting down", false);
}

bool SignalingConnection::drainReader()
{
    try {
        while (state_ == State::Open) {
            auto message = reader_.next();
            if (!message)
                break;
            handle(*message);
        }
    }
    catch (const WebSocketProtocolError& e) {
        end(e.code(), e.code() == 1009 ? "message too big" : "protocol error");
        log::debug(logger(), "signaling.protocol_error", std::string("a client broke the WebSocket protocol: ") + e.what(),
                   {{"error", e.what()}, {"code", e.code()}});
    }
    return state_ == State::Open;
}

bool SignalingConnection::onReadable(char* scratch, std::size_t size)
{
    if (state_ == State::Lingering) {
        lingerRead(scratch, size);
        return false;
    }
    if (writeWantsRead_)
        flush();
    if (state_ != State::Open)
        return false;
    if (!drainReader())
        return false;
    try {
        for (int turn = 0; turn < kReadsPerTurn; ++turn) {
            if (wantsWrite_)
                return false; // read again once the client takes what it was sent
            readWantsWrite_ = false;
            int received = 0;
            try {
                received = socket_.receiveBytes(scratch, static_cast<int>(size));
            }
            catch (const Poco::TimeoutException&) {
                return false; // nothing more now
            }
            if (received == SecureStreamSocket::ERR_SSL_WANT_READ)
                return false;
            if (received == SecureStreamSocket::ERR_SSL_WANT_WRITE) {
                readWantsWrite_ = true;
                return false;
            }
            if (received <= 0) {
                end(0, "client disconnected");
                return false;
            }
            lastHeard_ = Clock::now();
            reader_.feed(std::string_view(scratch, static_cast<std::size_t>(received)));
            if (!drainReader())
                return false;
        }
    }
    catch (const Poco::Exception&) {
        end(0, "connection lost");
        return false;
    }
    // Answers to what was read go out now rather than at the next wake-up.
    onMail();
    return state_ == State::Open;
}

void SignalingConnection::handle(WebSocketMessage& message)
{
    using Kind = WebSocketMessage::Kind;
    switch (message.kind) {
    case Kind::Text:
        deliver(message.payload);
        break;
    case Kind::Binary:
        end(1003, "binary messages are not accepted");
        break;
    case Kind::Ping:
        appendWebSocketFrame(queued_, WebSocketOpcode::Pong, message.payload);
        flush();
        break;
    case Kind::Pong:
        break;
    case Kind::Close:
        end(1000, "closed by client");
        break;
    }
}

void SignalingConnection::deliver(std::string& text)
{
    if (!rate_.allow()) {
        ++dropped_;
        if (dropped_ == 1 || dropped_ % 50 == 0)
            outbox_->send(R"({"type":"error","code":"rate_limited","message":"too many messages; slow down"})");
        if (dropped_ > static_cast<std::uint64_t>(settings_.messageBurst) * 2)
            end(4429, "message rate exceeded");
        return;
    }
    dropped_ = 0;
    try {
        session_->onMessage(text);
    }
    catch (const std::exception& e) {
        // The session answers bad input itself; this is the server failing (its database,
        // say). The client is told so by the close code, and the log says why.
        log::error(logger(), "signaling.message_failed", std::string("handling a signaling message failed: ") + e.what(),
                   {{"error", e.what()}});
        end(1011, "server error");
        return;
    }
    if (!joinedOnce_ && session_->inRoom()) {
        joinedOnce_ = true;
        ticket_->markJoined();
    }
}

void SignalingConnection::onMail()
{
    if (state_ != State::Open)
        return;
    auto batch = outbox_->take();
    for (const auto& text : batch.messages)
        appendWebSocketFrame(queued_, WebSocketOpcode::Text, text);
    if (batch.close) {
        end(batch.close->first, batch.close->second);
        return;
    }
    if (queued_.size() + inFlight_.size() > maxQueuedBytes_) {
        queued_.clear();
        end(4008, "not reading messages fast enough");
        return;
    }
    flush();
}

void SignalingConnection::end(int code, const std::string& reason)
{
    if (ended_)
        return;
    ended_ = true;
    session_->onDisconnect(code == 1000 ? "left" : reason, lostConnection(code));
    if (code == 0) {
        state_ = State::Finished;
        return;
    }
    // What was said before the end goes out before it (an error that explains the close).
    if (code != 4008)
        for (const auto& text : outbox_->take().messages)
            appendWebSocketFrame(queued_, WebSocketOpcode::Text, text);
    appendWebSocketClose(queued_, code, reason);
    state_ = State::Closing;
    closingSince_ = Clock::now();
    flush();
}

void SignalingConnection::flush()
{
    if (state_ == State::Finished || state_ == State::Lingering)
        return;
    writeWantsRead_ = false;
    wantsWrite_ = false;
    try {
        while (writePending()) {
            if (inFlight_.empty())
                inFlight_.swap(queued_);
            int sent = 0;
            try {
                sent = socket_.sendBytes(inFlight_.data(), static_cast<int>(inFlight_.size()));
            }
            catch (const Poco::TimeoutException&) {
                sent = SecureStreamSocket::ERR_SSL_WANT_WRITE;
            }
            if (sent == SecureStreamSocket::ERR_SSL_WANT_WRITE || sent == SecureStreamSocket::ERR_SSL_WANT_READ) {
                wantsWrite_ = sent == SecureStreamSocket::ERR_SSL_WANT_WRITE;
                writeWantsRead_ = !wantsWrite_;
                if (writeBlockedSince_ == Clock::time_point{})
                    writeBlockedSince_ = Clock::now();
                return;
            }
            if (sent <= 0) {
                end(0, "connection lost");
                return;
            }
            // OpenSSL writes a whole buffer or nothing; a partial count is a plain socket's.
            inFlight_.erase(0, static_cast<std::size_t>(sent));
        }
    }
    catch (const Poco::Exception&) {
        if (!ended_)
            end(0, "connection lost");
        state_ = State::Finished;
        return;
    }
    writeBlockedSince_ = {};
    if (state_ == State::Closing) {
        ::shutdown(fd_, SHUT_WR);
        state_ = State::Lingering;
        closingSince_ = Clock::now();
    }
}

bool SignalingConnection::onWritable()
{
    flush();
    return std::exchange(readWantsWrite_, false);
}

void SignalingConnection::lingerRead(char* scratch, std::size_t size)
{
    for (int turn = 0; turn < kReadsPerTurn; ++turn) {
        const auto received = ::recv(fd_, scratch, size, MSG_DONTWAIT);
        if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (received <= 0) {
            state_ = State::Finished;
            return;
        }
        lingerDrained_ += static_cast<std::size_t>(received);
        if (lingerDrained_ > kMaxLingerBytes) {
            state_ = State::Finished;
            return;
        }
    }
}

void SignalingConnection::onTimer(Clock::time_point now)
{
    switch (state_) {
    case State::Finished:
        return;
    case State::Lingering:
        if (now - closingSince_ > kLinger)
            state_ = State::Finished;
        return;
    case State::Closing:
        if (now - closingSince_ > kWriteStall)
            state_ = State::Finished;
        return;
    case State::Open:
        break;
    }
    if (writePending() && writeBlockedSince_ != Clock::time_point{} && now - writeBlockedSince_ > kWriteStall) {
        queued_.clear();
        end(4008, "not reading messages");
        return;
    }
    if (!session_->inRoom() && !joinedOnce_ && now - started_ > settings_.joinTimeout) {
        end(4408, "no join within the join timeout");
        return;
    }
    if (now - lastHeard_ > settings_.idleTimeout) {
        end(4408, "nothing heard within the idle timeout");
        return;
    }
    if (now - lastTick_ >= std::chrono::seconds(1)) {
        lastTick_ = now;
        try {
            session_->onTick();
        }
        catch (const std::exception& e) {
            log::error(logger(), "signaling.tick_failed", std::string("a signaling session's tick failed: ") + e.what(),
                       {{"error", e.what()}});
        }
        onMail();
        if (state_ != State::Open)
            return;
    }
    if (now - lastHeard_ > settings_.pingInterval && now - lastPing_ > settings_.pingInterval) {
        appendWebSocketFrame(queued_, WebSocketOpcode::Ping, {});
        lastPing_ = now;
        flush();
    }
}

void SignalingConnection::onHangUp()
{
    if (state_ == State::Open)
        end(0, "connection lost");
    state_ = State::Finished;
}

std::uint32_t SignalingConnection::interest() const
{
    switch (state_) {
    case State::Open:
        if (wantsWrite_)
            return EPOLLOUT;
        return EPOLLIN | EPOLLRDHUP | (readWantsWrite_ ? EPOLLOUT : 0u);
    case State::Closing:
        return (wantsWrite_ ? EPOLLOUT : 0u) | (writeWantsRead_ ? EPOLLIN : 0u);
    case State::Lingering:
        return EPOLLIN;
    case State::Finished:
        return 0;
    }
    return 0;
}

} // namespace parley::portal
