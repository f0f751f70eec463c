#pragma once

#include <parley/portal/meetings/live_room.h>

#include <map>
#include <memory>
#include <mutex>

namespace parley::portal {

/// The rooms that have someone in them (present or waiting). A live room is created by the
/// first entry and forgotten when the last person leaves; entering and leaving go through
/// the registry's lock so nobody can enter a room that is being forgotten.
class RoomRegistry
{
public:
    /// Enters `participant` into the live room for `facts.roomId` (created if needed). Returns
    /// the room, or nullptr with `error` set (see LiveRoom::enter).
    std::shared_ptr<LiveRoom> enter(const RoomFacts& facts, Participant participant, bool wait,
                                    std::size_t capacity, LiveRoom::Entry& entry, std::string& error);

    /// Removes the participant (if still there) and forgets the room once it is empty.
    void leave(std::int64_t roomId, const std::string& participantId, const std::string& reason);

    /// Forgets the room if nobody is left (after a kick, deny or end).
    void forgetIfEmpty(std::int64_t roomId);

    /// The live room, or nullptr when nobody is in it.
    std::shared_ptr<LiveRoom> find(std::int64_t roomId) const;

    /// Closes every participant's connection (server shutdown).
    void closeAll(int code, const std::string& reason);

private:
    mutable std::mutex mutex_;
    std::map<std::int64_t, std::shared_ptr<LiveRoom>> rooms_;
};

} // namespace parley::portal
