#include "room_json.h"

#include <parley/portal/http/json_response.h>
#include <parley/portal/http/unix_time.h>
#include <parley/portal/meetings/room_registry.h>
#include <parley/portal/meetings/room_service.h>

#include <parley/storage/user_store.h>

#include <Poco/JSON/Array.h>

namespace parley::portal {
namespace {

/// The options the room policy forces, with their forced value, so a page can show them
/// fixed ({"waitingRoom": true, "recording": false}); empty when the room decides all.
Poco::JSON::Object::Ptr forcedOptions(const RoomPolicy& policy)
{
    Poco::JSON::Object::Ptr forced = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    const std::pair<const char*, const OptionRule*> rules[] = {{"waitingRoom", &policy.waitingRoom},
                                                               {"guestsAllowed", &policy.guestsAllowed},
                                                               {"usersWait", &policy.usersWait},
                                                               {"pin", &policy.pin}};
    for (const auto& [name, rule] : rules)
        if (rule->forced())
            forced->set(name, *rule->forced());
    if (!policy.recording.allowed())
        forced->set("recording", false);
    return forced;
}

} // namespace

Poco::JSON::Object roomJson(const storage::Room& stored, MeetingHandlerServices& services)
{
    // What is in force, not only what the room stored before the policy changed.
    const auto policy = services.rooms.roomPolicy();
    const auto room = policy.applied(stored);
    Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    object.set("id", room.id);
    object.set("kind", room.kind == storage::RoomKind::Meeting ? "meeting" : "personal");
    object.set("meetingId", std::to_string(room.meetingId));
    object.set("title", room.title);
    const auto owner = storage::UserStore(services.database).findById(room.ownerId);
    object.set("owner", owner ? owner->username : "");
    object.set("link", room.linkSecret);
    object.set("joinPath", "/join/" + room.linkSecret);
    object.set("pin", room.pin);
    object.set("waitingRoom", room.waitingRoom);
    object.set("guestsAllowed", room.guestsAllowed);
    object.set("usersWait", room.usersWait);
    object.set("locked", room.locked);
    object.set("forced", forcedOptions(policy));
    if (room.startsAt)
        object.set("startsAt", isoTime(*room.startsAt));
    if (room.recordingRetentionDays)
        object.set("recordingRetentionDays", *room.recordingRetentionDays);
    else
        object.set("recordingRetentionDays", Poco::Dynamic::Var());
    if (room.endsAt) {
        object.set("endsAt", isoTime(*room.endsAt));
        object.set("ended", *room.endsAt <= unixNow());
    }
    Poco::JSON::Array moderators;
    for (const auto& name : services.rooms.moderatorNames(room.id))
        moderators.add(name);
    object.set("moderators", moderators);
    Poco::JSON::Object live(Poco::JSON_PRESERVE_KEY_ORDER);
    const auto liveRoom = services.registry.find(room.id);
    live.set("present", liveRoom ? liveRoom->presentCount() : 0);
    live.set("waiting", liveRoom ? liveRoom->waitingCount() : 0);
    object.set("live", live);
    return object;
}

} // namespace parley::portal
