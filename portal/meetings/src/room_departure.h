#pragma once

#include <cstdint>
#include <string>

namespace parley::portal {

struct SignalingContext;

/// What follows a participant's leaving a live room for good (left, removed, or its
/// reconnection grace ended): its media is released, a recording of a room now empty is
/// stopped, and the leave is audited (`room.leave` with the participant and `reason`).
/// Never throws: it runs when connections end and from the expiry thread.
void finishDeparture(SignalingContext& context, std::int64_t roomId, const std::string& participantId,
                     const std::string& actor, const std::string& address, const std::string& reason);

} // namespace parley::portal
