#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace parley::portal {

/// The HTTP connections in progress, counted in total and per source address, each with a
/// deadline for what it is waiting for. Poco gives each connection a thread and times out
/// single reads only, so a client that trickles a byte every few seconds, or just opens many
/// connections, could hold every thread. Here:
/// - a connection past `maxConnections` in total or `maxPerAddress` from its address is
///   closed at once, before its TLS handshake;
/// - a request's head (TLS handshake included) and its body must each arrive within
///   `requestDeadline`, and an idle keep-alive connection must start its next request within
///   `keepAliveDeadline`; a connection past its deadline is shut down by a watchdog thread;
/// - a connection upgraded to a WebSocket leaves the count (signaling counts its own).
/// Handlers tell the tracker where their request is through the static functions, which
/// act on the calling thread's connection (each connection runs on one thread).
class ConnectionTracker
{
public:
    using Clock = std::chrono::steady_clock;

    struct Limits
    {
        int maxConnections = 512;
        int maxPerAddress = 64;
        std::chrono::seconds requestDeadline{30};
        std::chrono::seconds keepAliveDeadline{10};
    };

    explicit ConnectionTracker(const Limits& limits);
    ~ConnectionTracker();
    ConnectionTracker(const ConnectionTracker&) = delete;
    ConnectionTracker& operator=(const ConnectionTracker&) = delete;

    /// One connection's place; leaves the count when destroyed. Made by enter().
    class Slot
    {
    public:
        Slot(ConnectionTracker& tracker, std::uint64_t id) : tracker_(tracker), id_(id) {}
        ~Slot();
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;

    private:
        ConnectionTracker& tracker_;
        std::uint64_t id_;
    };

    /// Counts a new connection on socket `fd` from `address` and makes it the calling
    /// thread's, with the deadline for its first request; nullptr when a limit is reached.
    std::unique_ptr<Slot> enter(const std::string& address, int fd);

    /// The calling thread's request has its head: the body must come within the deadline.
    static void headReceived();
    /// The body is in: the handler works without a deadline of its own.
    static void bodyReceived();
    /// The answer is sent: the next request must start within the keep-alive deadline.
    static void requestAnswered();
    /// The connection became a WebSocket: no deadline, and out of the HTTP count.
    static void upgraded();

    /// Connections counted now (for tests and monitoring).
    std::size_t connections();
    /// Connections shut down because they missed a deadline, since start.
    std::uint64_t deadlinesMissed();

private:
    struct Connection
    {
        std::string address;
        int fd = -1;
        Clock::time_point deadline; ///< max() while nothing is awaited
        bool counted = true;        ///< false once upgraded
    };

    void setDeadline(std::uint64_t id, Clock::duration after, bool leaveCount = false);
    /// Takes a connection out of the total and per-address counts (once).
    void uncount(Connection& connection);
    void leave(std::uint64_t id);
    void watch();

    Limits limits_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::map<std::uint64_t, Connection> connections_;
    std::map<std::string, int> perAddress_;
    int counted_ = 0;
    std::uint64_t nextId_ = 0;
    std::uint64_t missed_ = 0;
    bool stopping_ = false;
    std::thread watchdog_;
};

} // namespace parley::portal
