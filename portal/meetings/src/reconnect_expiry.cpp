#include <parley/portal/meetings/reconnect_expiry.h>

#include <parley/log/log_event.h>

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
                log::error(Poco::Logger::get("portal.signaling"), "signaling.expiry_failed",
                           std::string("reconnection expiry failed: ") + e.what(), {{"error", e.what()}});
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
        log::info(Poco::Logger::get("portal.signaling"), "participant.reconnect_expired",
                  "participant " + participant.id + " of room " + std::to_string(roomId) +
                      " did not reconnect in time; removed",
                  {{"participant", participant.id}, {"room", roomId}});
        const auto& identity = participant.identity;
        finishDeparture(context_, roomId, participant.id, identity.username.empty() ? "guest" : identity.username,
                        identity.address, "connection_lost");
    }
    return expired.size();
}

} // namespace parley::portal
