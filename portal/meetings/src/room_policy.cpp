#include <parley/portal/meetings/room_policy.h>

namespace parley::portal {

std::string optionModeName(OptionMode mode)
{
    switch (mode) {
    case OptionMode::ForcedOn:
        return "forced_on";
    case OptionMode::ForcedOff:
        return "forced_off";
    case OptionMode::Optional:
        break;
    }
    return "optional";
}

std::optional<OptionMode> optionModeNamed(const std::string& name)
{
    if (name == "optional")
        return OptionMode::Optional;
    if (name == "forced_on")
        return OptionMode::ForcedOn;
    if (name == "forced_off")
        return OptionMode::ForcedOff;
    return std::nullopt;
}

storage::Room RoomPolicy::applied(storage::Room room) const
{
    room.waitingRoom = waitingRoom.applied(room.waitingRoom);
    room.guestsAllowed = guestsAllowed.applied(room.guestsAllowed);
    room.usersWait = usersWait.applied(room.usersWait);
    // A PIN forced on cannot be made up here: a room without one keeps none, and guests are
    // refused (pin_not_set) until its owner sets one.
    if (pin.mode == OptionMode::ForcedOff)
        room.pin.clear();
    return room;
}

} // namespace parley::portal
