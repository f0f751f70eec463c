#include <parley/portal/meetings/signaling_hub.h>

#include <parley/portal/meetings/signaling_outbox.h>

#include <algorithm>

namespace parley::portal {
namespace {

/// RFC 6455 7.4.1: "try again later".
constexpr int kCloseTryAgainLater = 1013;

} // namespace

SignalingHub::Ticket::~Ticket()
{
    hub_.release(outbox_);
}

void SignalingHub::Ticket::markJoined()
{
    hub_.markJoined(outbox_);
}

std::unique_ptr<SignalingHub::Ticket> SignalingHub::admit(
    const std::string& address, const std::shared_ptr<SignalingOutbox>& outbox, Refusal& refusal)
{
    std::lock_guard lock(mutex_);
    if (closed_ || static_cast<int>(open_.size()) >= settings_.maxConnections) {
        refusal = Refusal::TooManyInTotal;
        return nullptr;
    }
    auto& count = perAddress_[address];
    auto& waiting = unjoinedPerAddress_[address];
    if (count >= settings_.maxConnectionsPerAddress || waiting >= settings_.maxUnjoinedPerAddress) {
        if (count == 0)
            perAddress_.erase(address);
        if (waiting == 0)
            unjoinedPerAddress_.erase(address);
        refusal = Refusal::TooManyFromAddress;
        return nullptr;
    }
    if (unjoined_ >= settings_.maxUnjoined)
        evictOldestUnjoined();
    ++count;
    ++waiting;
    ++unjoined_;
    open_.emplace(outbox, Connection{address, ++admitted_, false, false});
    refusal = Refusal::None;
    return std::make_unique<Ticket>(*this, address, outbox);
}

void SignalingHub::evictOldestUnjoined()
{
    auto oldest = open_.end();
    for (auto it = open_.begin(); it != open_.end(); ++it)
        if (!it->second.joined && !it->second.evicted &&
            (oldest == open_.end() || it->second.order < oldest->second.order))
            oldest = it;
    if (oldest == open_.end())
        return;
    // It stops counting as waiting now; its thread closes it and releases the ticket.
    stopWaiting(oldest->second);
    oldest->second.evicted = true;
    oldest->first->close(kCloseTryAgainLater, "too many connections waiting to join; try again");
}

void SignalingHub::markJoined(const std::shared_ptr<SignalingOutbox>& outbox)
{
    std::lock_guard lock(mutex_);
    const auto found = open_.find(outbox);
    if (found == open_.end() || found->second.joined || found->second.evicted)
        return;
    stopWaiting(found->second);
    found->second.joined = true;
}

void SignalingHub::stopWaiting(const Connection& connection)
{
    --unjoined_;
    const auto waiting = unjoinedPerAddress_.find(connection.address);
    if (waiting != unjoinedPerAddress_.end() && --waiting->second <= 0)
        unjoinedPerAddress_.erase(waiting);
}

void SignalingHub::release(const std::shared_ptr<SignalingOutbox>& outbox)
{
    std::lock_guard lock(mutex_);
    const auto found = open_.find(outbox);
    if (found == open_.end())
        return;
    const auto& connection = found->second;
    if (!connection.joined && !connection.evicted)
        stopWaiting(connection);
    const auto count = perAddress_.find(connection.address);
    if (count != perAddress_.end() && --count->second <= 0)
        perAddress_.erase(count);
    open_.erase(found);
}

void SignalingHub::closeAll(int code, const std::string& reason)
{
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (const auto& [outbox, connection] : open_)
        outbox->close(code, reason);
}

std::size_t SignalingHub::openConnections()
{
    std::lock_guard lock(mutex_);
    return open_.size();
}

std::size_t SignalingHub::unjoinedConnections()
{
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(unjoined_);
}

} // namespace parley::portal
