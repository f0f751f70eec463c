#pragma once

#include <parley/portal/meetings/meeting_handler_services.h>

#include <parley/storage/room_store.h>

#include <Poco/JSON/Object.h>

namespace parley::portal {

/// A room as the API shows it to those who may manage it (docs/api.md, "Rooms and
/// meetings"): settings as the room policy puts them in force, the options it forces, link,
/// PIN, moderators, and who is in it now.
Poco::JSON::Object roomJson(const storage::Room& room, MeetingHandlerServices& services);

} // namespace parley::portal
