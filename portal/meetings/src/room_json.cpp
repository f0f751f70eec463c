#include "room_json.h"

#include <parley/portal/http/json_response.h>
#include <parley/portal/http/unix_time.h>
#include <parley/portal/meetings/room_registry.h>
#include <parley/portal/meetings/room_service.h>

#include <parley/storage/user_store.h>

#include <Poco/JSON/Array.h>

namespace parley::portal {

Poco::JSON::Object roomJson(const storage::Room& room, MeetingHandlerServices& services)
{
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
