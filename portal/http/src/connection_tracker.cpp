#include <parley/portal/http/connection_tracker.h>

#include <sys/socket.h>

namespace parley::portal {
namespace {

/// How often the watchdog looks for connections past their deadline.
constexpr std::chrono::milliseconds kWatchInterval{250};

struct CurrentConnection
{
    ConnectionTracker* tracker = nullptr;
    std::uint64_t id = 0;
};

thread_local CurrentConnection current;

} // namespace

ConnectionTracker::ConnectionTracker(const Limits& limits) : limits_(limits), watchdog_([this] { watch(); }) {}

ConnectionTracker::~ConnectionTracker()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    watchdog_.join();
}

ConnectionTracker::Slot::~Slot()
{
    tracker_.leave(id_);
}

std::unique_ptr<ConnectionTracker::Slot> ConnectionTracker::enter(const std::string& address, int fd)
{
    std::lock_guard lock(mutex_);
    auto& fromAddress = perAddress_[address];
    if (counted_ >= limits_.maxConnections || fromAddress >= limits_.maxPerAddress) {
        if (fromAddress == 0)
            perAddress_.erase(address);
        return nullptr;
    }
    ++fromAddress;
    ++counted_;
    const auto id = ++nextId_;
    connections_.emplace(id, Connection{address, fd, Clock::now() + limits_.requestDeadline, true});
    current = {this, id};
    return std::make_unique<Slot>(*this, id);
}

void ConnectionTracker::leave(std::uint64_t id)
{
    std::lock_guard lock(mutex_);
    const auto found = connections_.find(id);
    if (found == connections_.end())
        return;
    uncount(found->second);
    connections_.erase(found);
    if (current.tracker == this && current.id == id)
        current = {};
}

void ConnectionTracker::setDeadline(std::uint64_t id, Clock::duration after, bool leaveCount)
{
    std::lock_guard lock(mutex_);
    const auto found = connections_.find(id);
    if (found == connections_.end())
        return;
    auto& connection = found->second;
    connection.deadline = after == Clock::duration::max() ? Clock::time_point::max() : Clock::now() + after;
    if (leaveCount)
        uncount(connection);
}

void ConnectionTracker::uncount(Connection& connection)
{
    if (!connection.counted)
        return;
    connection.counted = false;
    --counted_;
    const auto address = perAddress_.find(connection.address);
    if (address != perAddress_.end() && --address->second <= 0)
        perAddress_.erase(address);
}

void ConnectionTracker::headReceived()
{
    if (current.tracker)
        current.tracker->setDeadline(current.id, current.tracker->limits_.requestDeadline);
}

void ConnectionTracker::bodyReceived()
{
    if (current.tracker)
        current.tracker->setDeadline(current.id, Clock::duration::max());
}

void ConnectionTracker::requestAnswered()
{
    if (current.tracker)
        current.tracker->setDeadline(current.id, current.tracker->limits_.keepAliveDeadline +
                                                     current.tracker->limits_.requestDeadline);
}

void ConnectionTracker::upgraded()
{
    if (current.tracker)
        current.tracker->setDeadline(current.id, Clock::duration::max(), true);
}

std::size_t ConnectionTracker::connections()
{
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(counted_);
}

std::uint64_t ConnectionTracker::deadlinesMissed()
{
    std::lock_guard lock(mutex_);
    return missed_;
}

void ConnectionTracker::watch()
{
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        wake_.wait_for(lock, kWatchInterval, [this] { return stopping_; });
        const auto now = Clock::now();
        for (auto& [id, connection] : connections_) {
            if (connection.fd < 0 || connection.deadline > now)
                continue;
            // shutdown(2), not close: the connection's own thread still owns the descriptor;
            // its blocked read returns and Poco ends the connection the usual way.
            ::shutdown(connection.fd, SHUT_RDWR);
            connection.fd = -1;
            ++missed_;
        }
    }
}

} // namespace parley::portal
