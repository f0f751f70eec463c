#pragma once

#include <parley/portal/accounts/account_settings.h>
#include <parley/portal/meetings/room_policy.h>
#include <parley/portal/recordings/recording_settings.h>

#include <chrono>
#include <cstddef>

namespace parley::portal {

/// PINs are digits only; their length and whether a room must have one is the admin's call.
struct PinPolicy
{
    int minLength = 4; ///< 3 to 12
    int maxLength = 8; ///< minLength to 12
    bool required = false;
};

/// Limits on one WebSocket signaling connection and on connections in total.
struct SignalingSettings
{
    std::size_t maxMessageBytes = 65536; ///< larger messages close the connection (1009)
    int messagesPerSecond = 20;          ///< sustained rate per connection
    int messageBurst = 40;               ///< short bursts allowed above the rate
    int maxConnections = 500;            ///< signaling connections in total (503 beyond)
    int maxConnectionsPerAddress = 20;   ///< per source address (429 beyond)
    /// Connections that have not joined a room yet, in total: past it the oldest of them is
    /// closed (1013) to make room, so idle connections cannot keep newcomers out.
    int maxUnjoined = 100;
    int maxUnjoinedPerAddress = 4;       ///< not yet joined, per source address (429 beyond)
    std::chrono::seconds joinTimeout{30};  ///< a connection must join within this
    std::chrono::seconds idleTimeout{60};  ///< nothing received (not even a pong) for this long
    std::chrono::seconds pingInterval{20}; ///< server pings a quiet connection this often
    /// A participant whose connection is lost keeps its place this long, for a new
    /// connection to resume it (`resume`, docs/signaling.md); 0: removed at once.
    std::chrono::seconds reconnectGrace{30};
};

/// Rooms, meetings and the signaling that runs them (`[rooms]` and `[signaling]` sections),
/// and recordings (`[recording]`).
struct MeetingSettings
{
    PinPolicy pin;
    /// The file's room policy (an admin may change it at run time). Its PIN rule is forced
    /// on exactly when `pin.required`.
    RoomPolicy roomPolicy;
    /// Scheduled meetings are deleted this long after they end.
    std::chrono::hours meetingRetention{30 * 24};
    /// People in a room at once, waiting room included.
    int maxParticipants = 100;
    /// PIN guessing: accountFreeAttempts counts wrong PINs per room, addressFreeAttempts per
    /// source address; lockouts double as for logins.
    ThrottleSettings pinThrottle{20, 5, std::chrono::seconds(30), std::chrono::seconds(900),
                                 std::chrono::seconds(900)};
    /// Meeting-ID guessing by signed-in users: accountFreeAttempts counts unknown IDs per
    /// user, addressFreeAttempts per source address; lockouts double as for logins.
    ThrottleSettings meetingIdThrottle{10, 20, std::chrono::seconds(30), std::chrono::seconds(900),
                                       std::chrono::seconds(900)};
    SignalingSettings signaling;
    RecordingSettings recording;
};

} // namespace parley::portal
