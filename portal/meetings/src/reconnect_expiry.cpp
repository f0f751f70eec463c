#include <parley/portal/meetings/reconnect_expiry.h>

#include "room_departure.h"

#include <parley/portal/meetings/room_registry.h>
#include <parley/portal/meetings/signaling_session.h>

#include <Poco/Logger.h>

namespace parley::portal {

ReconnectExpiry::ReconnectExpiry(SignalingContext& context) : context_(context)
{
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            wake_.wait_for(lock, std::chrono::milliseconds(500));
            if (stopping_)
                break;
            lock.unlock();
            try {
                expire(std::chrono::steady_clock::now());
            }
            catch (const std::exception& e) {
                Poco::Logger::get("portal.signaling").error("reconnection expiry failed: %s", std::string(e.what()));
            }
            lock.lock();
        }
    });
}

ReconnectExpiry::~ReconnectExpiry()
{
    stop();
}

void ReconnectExpiry::stop()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
        thread_.join();
}

std::size_t ReconnectExpiry::expire(std::chrono::steady_clock::time_point now)
{
    const auto expired = context_.registry.expireReconnecting(now);
    for (const auto& [roomId, participant] : expired) {
        Poco::Logger::get("portal.signaling")
            .information("participant %s of room %s did not reconnect in time; removed", participant.id,
                         std::to_string(roomId));
        const auto& identity = participant.identity;
        finishDeparture(context_, roomId, participant.id, identity.username.empty() ? "guest" : identity.username,
                        identity.address, "connection_lost");
    }
    return expired.size();
}

} // namespace parley::portal
