#pragma once

#include <parley/portal/meetings/participant.h>

#include <parley/portal/meetings/meeting_settings.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace parley::portal {

class SignalingOutbox;

/// Counts signaling connections, in total and per source address, and can close them all.
/// Connections that have not joined a room have a budget of their own (in total and per
/// address): when it is spent, the oldest of them is closed to admit a new one, so
/// connections that never join cannot keep people from joining, and joined connections are
/// never closed for a newcomer.
class SignalingHub
{
public:
    explicit SignalingHub(const SignalingSettings& settings) : settings_(settings) {}

    enum class Refusal
    {
        None,
        TooManyInTotal,
        TooManyFromAddress,
    };

    /// A connection's place in the count; released on destruction.
    class Ticket
    {
    public:
        Ticket(SignalingHub& hub, std::string address, std::shared_ptr<SignalingOutbox> outbox)
            : hub_(hub), address_(std::move(address)), outbox_(std::move(outbox))
        {}
        ~Ticket();
        Ticket(const Ticket&) = delete;
        Ticket& operator=(const Ticket&) = delete;

        /// The connection has joined a room: it leaves the not-yet-joined budget.
        void markJoined();

    private:
        SignalingHub& hub_;
        std::string address_;
        std::shared_ptr<SignalingOutbox> outbox_;
    };

    /// Counts a new connection from `address`, or says why not.
    std::unique_ptr<Ticket> admit(const std::string& address,
                                  const std::shared_ptr<SignalingOutbox>& outbox, Refusal& refusal);

    /// Closes every connection (server shutdown) and refuses new ones.
    void closeAll(int code, const std::string& reason);

    const SignalingSettings& settings() const { return settings_; }

    /// Connections now open, and of them those not joined (for tests and monitoring).
    std::size_t openConnections();
    std::size_t unjoinedConnections();

private:
    struct Connection
    {
        std::string address;
        std::uint64_t order = 0; ///< admission order: the smallest unjoined one is the oldest
        bool joined = false;
        bool evicted = false;    ///< closed to make room; no longer counted as waiting
    };

    void release(const std::shared_ptr<SignalingOutbox>& outbox);
    void markJoined(const std::shared_ptr<SignalingOutbox>& outbox);
    void evictOldestUnjoined();
    /// Takes a connection out of the not-yet-joined counts (joined, evicted or gone).
    void stopWaiting(const Connection& connection);

    SignalingSettings settings_;
    std::mutex mutex_;
    std::map<std::string, int> perAddress_;
    std::map<std::string, int> unjoinedPerAddress_;
    std::map<std::shared_ptr<SignalingOutbox>, Connection> open_;
    int unjoined_ = 0;
    std::uint64_t admitted_ = 0;
    bool closed_ = false;
};

} // namespace parley::portal
