#include <parley/portal/meetings/room_policy.h>

#include <catch2/catch.hpp>

using namespace parley::portal;

TEST_CASE("A forced room option overrides what a room stored, an optional one leaves it")
{
    parley::storage::Room stored;
    stored.waitingRoom = false;
    stored.guestsAllowed = true;
    stored.usersWait = true;
    stored.pin = "4321";

    const RoomPolicy optional;
    const auto same = optional.applied(stored);
    CHECK_FALSE(same.waitingRoom);
    CHECK(same.usersWait);
    CHECK(same.pin == "4321");

    RoomPolicy forced;
    forced.waitingRoom.mode = OptionMode::ForcedOn;
    forced.guestsAllowed.mode = OptionMode::ForcedOff;
    forced.usersWait.mode = OptionMode::ForcedOff;
    forced.pin.mode = OptionMode::ForcedOff;
    const auto room = forced.applied(stored);
    CHECK(room.waitingRoom);
    CHECK_FALSE(room.guestsAllowed);
    CHECK_FALSE(room.usersWait);
    CHECK(room.pin.empty());

    // A PIN forced on cannot be invented: a room without one keeps none (guests are refused).
    forced.pin.mode = OptionMode::ForcedOn;
    stored.pin.clear();
    CHECK(forced.applied(stored).pin.empty());
}

TEST_CASE("New rooms start with the forced value, or the default while optional")
{
    CHECK(OptionRule{OptionMode::Optional, true}.initial());
    CHECK_FALSE(OptionRule{OptionMode::Optional, false}.initial());
    CHECK(OptionRule{OptionMode::ForcedOn, false}.initial());
    CHECK_FALSE(OptionRule{OptionMode::ForcedOff, true}.initial());
    CHECK_FALSE(OptionRule{OptionMode::Optional, true}.forced().has_value());
}

TEST_CASE("Recording is refused when forced off, and to guest moderators when only users may")
{
    CHECK(RecordingRule{}.refusalFor(true).empty());
    CHECK(RecordingRule{OptionMode::Optional, false}.refusalFor(true) == "recording_users_only");
    CHECK(RecordingRule{OptionMode::Optional, false}.refusalFor(false).empty());
    CHECK(RecordingRule{OptionMode::ForcedOff, true}.refusalFor(false) == "policy_forced");
}

TEST_CASE("Only the three mode names are modes")
{
    for (const auto mode : {OptionMode::Optional, OptionMode::ForcedOn, OptionMode::ForcedOff})
        CHECK(optionModeNamed(optionModeName(mode)) == mode);
    for (const char* name : {"", "FORCED_ON", "forced_on ", "forced", "on", "default_on", "optional\n"})
        CHECK_FALSE(optionModeNamed(name).has_value());
}
