#pragma once

#include <parley/storage/room_store.h>

#include <optional>
#include <string>

namespace parley::portal {

/// How the admin's policy treats one room option.
enum class OptionMode
{
    Optional,  ///< each room decides; new rooms start with the rule's default
    ForcedOn,  ///< every room has it, whatever the room says
    ForcedOff, ///< no room has it, whatever the room says
};

/// "optional", "forced_on", "forced_off" (the settings API's names).
std::string optionModeName(OptionMode mode);
/// The mode named, or nullopt for any other text.
std::optional<OptionMode> optionModeNamed(const std::string& name);

/// The policy for one on/off room option.
struct OptionRule
{
    OptionMode mode = OptionMode::Optional;
    bool byDefault = false; ///< a new room's value while the option is optional

    /// The value every room has under this rule, or nullopt when each room decides.
    std::optional<bool> forced() const
    {
        if (mode == OptionMode::Optional)
            return std::nullopt;
        return mode == OptionMode::ForcedOn;
    }
    /// A new room's value.
    bool initial() const { return forced().value_or(byDefault); }
    /// A room's value in force, given what the room stored.
    bool applied(bool stored) const { return forced().value_or(stored); }

    bool operator==(const OptionRule&) const = default;
};

/// Who may record. There is no "forced on": a recording needs an unlocked volume and the
/// people present told first, so the server cannot promise that every meeting is recorded.
struct RecordingRule
{
    /// Optional: moderators may start a recording; ForcedOff: nobody may.
    OptionMode mode = OptionMode::Optional;
    /// Whether a guest made moderator may start one too (false: only signed-in users).
    bool guestModerators = true;

    bool allowed() const { return mode != OptionMode::ForcedOff; }
    /// Why a moderator may not start a recording: "policy_forced" (recording forced off),
    /// "recording_users_only" (a guest, and guest moderators may not), or "" (they may).
    std::string refusalFor(bool guest) const
    {
        if (mode == OptionMode::ForcedOff)
            return "policy_forced";
        if (guest && !guestModerators)
            return "recording_users_only";
        return {};
    }
    bool operator==(const RecordingRule&) const = default;
};

/// The admin's rules over every room's options. A room stored before a rule changed gets
/// the forced behaviour at once: join admission and the room's JSON read rooms through
/// applied().
struct RoomPolicy
{
    OptionRule waitingRoom{OptionMode::Optional, true};
    OptionRule guestsAllowed{OptionMode::Optional, true};
    OptionRule usersWait{OptionMode::Optional, false};
    /// ForcedOn: every room has a PIN (new rooms get a random one, removing it is refused,
    /// guests cannot join a room without one); ForcedOff: rooms have no PIN (setting one is
    /// refused, stored PINs are not asked for); byDefault: new rooms get a random PIN.
    OptionRule pin{OptionMode::Optional, false};
    RecordingRule recording;

    /// `room` with the forced options at their forced value (a PIN forced off: no PIN).
    storage::Room applied(storage::Room room) const;

    bool operator==(const RoomPolicy&) const = default;
};

} // namespace parley::portal
