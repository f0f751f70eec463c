#include <parley/portal/meetings/admin_meeting_handlers.h>

#include "room_json.h"
#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_fields.h>
#include <parley/portal/http/json_response.h>

#include <parley/storage/room_store.h>
#include <parley/storage/user_store.h>

#include <Poco/JSON/Array.h>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

} // namespace

void AdminRoomsHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto page = pageOf(request);
    const auto text = searchOf(request);
    const auto kindText = request.query("kind");
    std::optional<storage::RoomKind> kind;
    if (kindText == "personal")
        kind = storage::RoomKind::Personal;
    else if (kindText == "meeting")
        kind = storage::RoomKind::Meeting;
    else if (!kindText.empty())
        throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_request", "'kind' must be personal or meeting");

    storage::RoomStore store(services().database);
    storage::UserStore users(services().database);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& room : store.search(text, kind, page.offset(), page.perPage)) {
        auto item = roomJson(room, services());
        // Beside the owner's username (which roomJson gives), the name people know them by.
        const auto owner = users.findById(room.ownerId);
        item.set("ownerDisplayName", owner ? owner->displayName : std::string());
        list->add(item);
    }
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("rooms", list);
    body.set("page", page.page);
    body.set("perPage", page.perPage);
    body.set("total", store.count(text, kind));
    sendJson(response, Status::HTTP_OK, body);
}

} // namespace parley::portal
