#pragma once

#include <parley/portal/meetings/live_room.h>

#include <map>
#include <memory>
#include <mutex>
#include <vector>

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

    /// The connection `sink` of the participant ended (LiveRoom::depart); forgets the room
    /// once it is empty. Gone when the room is not live.
    LiveRoom::Departure depart(std::int64_t roomId, const std::string& participantId,
                               const ParticipantSink* sink, const std::string& reason,
                               std::chrono::steady_clock::duration grace);

    /// A participant whose reconnection grace ended, removed from its room.
    struct Expired
    {
        std::int64_t roomId = 0;
        Participant participant;
    };
    /// Removes, in every room, the reconnecting participants whose grace ended by `now`;
    /// forgets rooms left empty.
    std::vector<Expired> expireReconnecting(std::chrono::steady_clock::time_point now);

    /// Forgets the room if nobody is left (after a kick, deny or end).
    void forgetIfEmpty(std::int64_t roomId);

    /// The live room, or nullptr when nobody is in it.
    std::shared_ptr<LiveRoom> find(std::int64_t roomId) const;

    /// Every live room now, by room id.
    std::vector<std::shared_ptr<LiveRoom>> all() const;

    /// Closes every participant's connection (server shutdown).
    void closeAll(int code, const std::string& reason);

private:
    mutable std::mutex mutex_;
    std::map<std::int64_t, std::shared_ptr<LiveRoom>> rooms_;
};

} // namespace parley::portal
