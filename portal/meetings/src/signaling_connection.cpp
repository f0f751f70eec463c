#include "signaling_connection.h"

#include <parley/log/log_event.h>

#include "message_rate_limit.h"
#include <parley/portal/meetings/signaling_outbox.h>
#include <parley/portal/meetings/signaling_session.h>

#include <Poco/Logger.h>
#include <Poco/Net/NetException.h>

#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <vector>

namespace parley::portal {
namespace {

using Clock = std::chrono::steady_clock;
using Poco::Net::WebSocket;

// Poco declares flags and opcodes as separate enums; C++20 deprecates or-ing them directly.
constexpr int kPing = int(WebSocket::FRAME_FLAG_FIN) | int(WebSocket::FRAME_OP_PING);
constexpr int kPong = int(WebSocket::FRAME_FLAG_FIN) | int(WebSocket::FRAME_OP_PONG);

Poco::Logger& logger()
{
    return Poco::Logger::get("portal.signaling");
}

/// Why and how the connection ends.
struct Ending
{
    int code;
    std::string reason;
};

// After our close frame, read and discard what the client still sends (for a short while)
// so closing the socket does not turn into a TCP reset that destroys the close frame
// before the client has read it.
void lingeringClose(int fd)
{
    ::shutdown(fd, SHUT_WR);
    char scratch[16384];
    const auto deadline = Clock::now() + std::chrono::seconds(2);
    std::size_t drained = 0;
    while (Clock::now() < deadline && drained < 64 * 1024 * 1024) {
        pollfd descriptor{fd, POLLIN, 0};
        if (::poll(&descriptor, 1, 200) <= 0)
            continue;
        const auto received = ::recv(fd, scratch, sizeof scratch, 0);
        if (received <= 0)
            return;
        drained += static_cast<std::size_t>(received);
    }
}

class ConnectionLoop
{
public:
    ConnectionLoop(WebSocket& socket, SignalingOutbox& outbox, SignalingSession& session,
                   const SignalingSettings& settings, const std::function<void()>& joined)
        : socket_(socket), outbox_(outbox), session_(session), settings_(settings), joined_(joined),
          rate_(settings.messagesPerSecond, settings.messageBurst),
          buffer_(settings.maxMessageBytes), started_(Clock::now()), lastHeard_(started_),
          lastPing_(started_)
    {}

    Ending run()
    {
        const int fd = socket_.impl()->sockfd();
        for (;;) {
            if (auto ending = flushOutbox())
                return *ending;
            if (auto ending = checkTimers())
                return *ending;
            bool readable = socket_.available() > 0;
            if (!readable) {
                pollfd descriptors[2]{{fd, POLLIN, 0}, {outbox_.wakeDescriptor(), POLLIN, 0}};
                const int ready = ::poll(descriptors, 2, 1000);
                if (ready < 0 && errno != EINTR)
                    return {1011, "poll failed"};
                readable = ready > 0 && (descriptors[0].revents & (POLLIN | POLLHUP | POLLERR));
            }
            if (readable)
                if (auto ending = readFrame())
                    return *ending;
        }
    }

private:
    std::optional<Ending> flushOutbox()
    {
        auto batch = outbox_.take();
        for (const auto& text : batch.messages)
            socket_.sendFrame(text.data(), static_cast<int>(text.size()), WebSocket::FRAME_TEXT);
        if (batch.close)
            return Ending{batch.close->first, batch.close->second};
        return std::nullopt;
    }

    std::optional<Ending> checkTimers()
    {
        const auto now = Clock::now();
        if (!session_.inRoom() && !joinedOnce_ && now - started_ > settings_.joinTimeout)
            return Ending{4408, "no join within the join timeout"};
        if (now - lastHeard_ > settings_.idleTimeout)
            return Ending{4408, "nothing heard within the idle timeout"};
        if (now - lastTick_ >= std::chrono::seconds(1)) {
            session_.onTick();
            lastTick_ = now;
        }
        if (now - lastHeard_ > settings_.pingInterval && now - lastPing_ > settings_.pingInterval) {
            socket_.sendFrame("", 0, kPing);
            lastPing_ = now;
        }
        return std::nullopt;
    }

    std::optional<Ending> readFrame()
    {
        int flags = 0;
        const int length = socket_.receiveFrame(buffer_.data(), static_cast<int>(buffer_.size()), flags);
        lastHeard_ = Clock::now();
        if (length == 0 && flags == 0)
            return Ending{0, "client disconnected"}; // end of stream: nothing to send
        const int opcode = flags & WebSocket::FRAME_OP_BITMASK;
        switch (opcode) {
        case WebSocket::FRAME_OP_CLOSE:
            return Ending{1000, "closed by client"};
        case WebSocket::FRAME_OP_PING:
            socket_.sendFrame(buffer_.data(), length, kPong);
            return std::nullopt;
        case WebSocket::FRAME_OP_PONG:
            return std::nullopt;
        case WebSocket::FRAME_OP_BINARY:
            return Ending{1003, "binary messages are not accepted"};
        case WebSocket::FRAME_OP_TEXT:
            if (fragmented_)
                return Ending{1002, "a new message started inside a fragmented one"};
            message_.assign(buffer_.data(), static_cast<std::size_t>(length));
            break;
        case WebSocket::FRAME_OP_CONT:
            if (!fragmented_)
                return Ending{1002, "continuation frame without a message"};
            if (message_.size() + static_cast<std::size_t>(length) > settings_.maxMessageBytes)
                return Ending{1009, "message too big"};
            message_.append(buffer_.data(), static_cast<std::size_t>(length));
            break;
        default:
            return Ending{1002, "unknown frame opcode"};
        }
        fragmented_ = (flags & WebSocket::FRAME_FLAG_FIN) == 0;
        if (fragmented_)
            return std::nullopt;
        return deliver();
    }

    std::optional<Ending> deliver()
    {
        if (!rate_.allow()) {
            ++dropped_;
            if (dropped_ == 1 || dropped_ % 50 == 0)
                outbox_.send(R"({"type":"error","code":"rate_limited","message":"too many messages; slow down"})");
            if (dropped_ > static_cast<std::uint64_t>(settings_.messageBurst) * 2)
                return Ending{4429, "message rate exceeded"};
            return std::nullopt;
        }
        dropped_ = 0;
        session_.onMessage(message_);
        if (!joinedOnce_ && session_.inRoom()) {
            joinedOnce_ = true;
            joined_();
        }
        message_.clear();
        return std::nullopt;
    }

    WebSocket& socket_;
    SignalingOutbox& outbox_;
    SignalingSession& session_;
    const SignalingSettings& settings_;
    const std::function<void()>& joined_;
    MessageRateLimit rate_;
    std::vector<char> buffer_;
    std::string message_;
    bool fragmented_ = false;
    bool joinedOnce_ = false;
    std::uint64_t dropped_ = 0;
    Clock::time_point started_;
    Clock::time_point lastHeard_;
    Clock::time_point lastPing_;
    Clock::time_point lastTick_{};
};

} // namespace

void runSignalingConnection(WebSocket& socket, SignalingOutbox& outbox, SignalingSession& session,
                            const SignalingSettings& settings, const std::function<void()>& joined)
{
    socket.setMaxPayloadSize(static_cast<int>(settings.maxMessageBytes));
    // Bounds how long a half-sent frame or a client that does not read can hold the thread.
    socket.setReceiveTimeout(Poco::Timespan(10, 0));
    socket.setSendTimeout(Poco::Timespan(10, 0));
    Ending ending{1011, "internal error"};
    try {
        ending = ConnectionLoop(socket, outbox, session, settings, joined).run();
    }
    catch (const Poco::Net::WebSocketException& e) {
        ending = e.code() == WebSocket::WS_ERR_PAYLOAD_TOO_BIG
                     ? Ending{1009, "message too big"}
                     : Ending{1002, "protocol error"};
    }
    catch (const Poco::TimeoutException&) {
        ending = {4408, "timed out in the middle of a frame"};
    }
    catch (const Poco::Net::NetException&) {
        ending = {0, "connection lost"};
    }
    catch (const Poco::IOException&) {
        ending = {0, "connection lost"};
    }
    // Lost, not closed on purpose (the network went, the client stopped answering or
    // reading): a participant keeps its place for a while, to be resumed.
    const bool lost = ending.code == 0 || ending.code == 4408 || ending.code == 4008;
    session.onDisconnect(ending.code == 1000 ? "left" : ending.reason, lost);
    if (ending.code == 0)
        return;
    try {
        socket.shutdown(static_cast<Poco::UInt16>(ending.code), ending.reason);
        lingeringClose(socket.impl()->sockfd());
    }
    catch (const Poco::Exception& e) {
        log::debug(logger(), "signaling.close_failed", "closing a signaling connection failed: " + e.displayText(),
                   {{"error", e.displayText()}});
    }
}

} // namespace parley::portal
