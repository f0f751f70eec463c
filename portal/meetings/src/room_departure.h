#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::portal {

struct Participant;
struct SignalingContext;

/// What follows a participant's leaving a live room for good (left, removed, or its
/// reconnection grace ended): its media is released, a recording of a room now empty is
/// stopped, and the leave is audited (`room.leave` with the participant and `reason`).
/// Never throws: it runs when connections end and from the expiry thread.
void finishDeparture(SignalingContext& context, std::int64_t roomId, const std::string& participantId,
                     const std::string& actor, const std::string& address, const std::string& reason);

/// After people were taken out of a live room by someone else's act (the meeting ended or
/// deleted, a kick, an invitation revoked): their media is released in the router, and the
/// room is forgotten if nobody is left.
void releaseRemoved(SignalingContext& context, std::int64_t roomId, const std::vector<std::string>& participantIds);

/// A participant removed by a moderator or an admin: the invitation key they came with, if
/// any, stops working so they cannot come back with it. Returns that invitation's id.
std::optional<std::int64_t> revokeKeyOf(SignalingContext& context, std::int64_t roomId, const Participant& removed,
                                        const std::string& actor, const std::string& address);

} // namespace parley::portal
