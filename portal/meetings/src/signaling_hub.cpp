#include <parley/portal/meetings/signaling_hub.h>

#include <parley/portal/meetings/signaling_outbox.h>

namespace parley::portal {

SignalingHub::Ticket::~Ticket()
{
    hub_.release(address_, outbox_);
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
    if (count >= settings_.maxConnectionsPerAddress) {
        refusal = Refusal::TooManyFromAddress;
        return nullptr;
    }
    ++count;
    open_.insert(outbox);
    refusal = Refusal::None;
    return std::make_unique<Ticket>(*this, address, outbox);
}

void SignalingHub::release(const std::string& address, const std::shared_ptr<SignalingOutbox>& outbox)
{
    std::lock_guard lock(mutex_);
    open_.erase(outbox);
    const auto found = perAddress_.find(address);
    if (found != perAddress_.end() && --found->second <= 0)
        perAddress_.erase(found);
}

void SignalingHub::closeAll(int code, const std::string& reason)
{
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (const auto& outbox : open_)
        outbox->close(code, reason);
}

} // namespace parley::portal
