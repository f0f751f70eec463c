#pragma once

#include <parley/portal/meetings/participant.h>

#include <parley/portal/meetings/meeting_settings.h>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace parley::portal {

class SignalingOutbox;

/// Counts signaling connections, in total and per source address, and can close them all.
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

private:
    void release(const std::string& address, const std::shared_ptr<SignalingOutbox>& outbox);

    SignalingSettings settings_;
    std::mutex mutex_;
    std::map<std::string, int> perAddress_;
    std::set<std::shared_ptr<SignalingOutbox>> open_;
    bool closed_ = false;
};

} // namespace parley::portal
