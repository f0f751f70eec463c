#include <parley/portal/meetings/room_registry.h>

namespace parley::portal {

std::shared_ptr<LiveRoom> RoomRegistry::enter(const RoomFacts& facts, Participant participant,
                                              bool wait, std::size_t capacity,
                                              LiveRoom::Entry& entry, std::string& error)
{
    std::lock_guard lock(mutex_);
    auto& room = rooms_[facts.roomId];
    if (!room)
        room = std::make_shared<LiveRoom>(facts);
    error = room->enter(std::move(participant), wait, capacity, entry);
    if (!error.empty()) {
        if (room->empty())
            rooms_.erase(facts.roomId);
        return nullptr;
    }
    return room;
}

void RoomRegistry::leave(std::int64_t roomId, const std::string& participantId,
                         const std::string& reason)
{
    std::lock_guard lock(mutex_);
    const auto found = rooms_.find(roomId);
    if (found == rooms_.end())
        return;
    found->second->leave(participantId, reason);
    if (found->second->empty())
        rooms_.erase(found);
}

LiveRoom::Departure RoomRegistry::depart(std::int64_t roomId, const std::string& participantId,
                                         const ParticipantSink* sink, const std::string& reason,
                                         std::chrono::steady_clock::duration grace)
{
    std::lock_guard lock(mutex_);
    const auto found = rooms_.find(roomId);
    if (found == rooms_.end())
        return LiveRoom::Departure::Gone;
    const auto departure = found->second->depart(participantId, sink, reason, grace);
    if (found->second->empty())
        rooms_.erase(found);
    return departure;
}

std::vector<RoomRegistry::Expired> RoomRegistry::expireReconnecting(std::chrono::steady_clock::time_point now)
{
    std::lock_guard lock(mutex_);
    std::vector<Expired> expired;
    for (auto room = rooms_.begin(); room != rooms_.end();) {
        for (auto& participant : room->second->expireReconnecting(now))
            expired.push_back({room->first, std::move(participant)});
        if (room->second->empty())
            room = rooms_.erase(room);
        else
            ++room;
    }
    return expired;
}

void RoomRegistry::forgetIfEmpty(std::int64_t roomId)
{
    std::lock_guard lock(mutex_);
    const auto found = rooms_.find(roomId);
    if (found != rooms_.end() && found->second->empty())
        rooms_.erase(found);
}

std::shared_ptr<LiveRoom> RoomRegistry::find(std::int64_t roomId) const
{
    std::lock_guard lock(mutex_);
    const auto found = rooms_.find(roomId);
    return found == rooms_.end() ? nullptr : found->second;
}

void RoomRegistry::closeAll(int code, const std::string& reason)
{
    std::lock_guard lock(mutex_);
    for (auto& [id, room] : rooms_)
        room->closeAll(code, reason);
}

std::vector<std::shared_ptr<LiveRoom>> RoomRegistry::all() const
{
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<LiveRoom>> rooms;
    rooms.reserve(rooms_.size());
    for (const auto& [id, room] : rooms_)
        rooms.push_back(room);
    return rooms;
}

} // namespace parley::portal
