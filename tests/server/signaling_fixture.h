#pragma once

#include "account_fixture.h"
#include "ws_client.h"

#include <Poco/JSON/Array.h>

#include <chrono>
#include <ctime>

namespace parley::test {

/// A time as the API writes it: ISO 8601 UTC to the second.
inline std::string isoTime(std::chrono::system_clock::time_point t)
{
    const auto seconds = std::chrono::system_clock::to_time_t(t);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&seconds));
    return text;
}

/// The Cookie header value that carries a logged-in client's session.
inline std::string sessionCookie(const ApiClient& client)
{
    return "__Host-parley_session=" + client.cookie();
}

/// A room as the REST API returns it.
struct RoomInfo
{
    std::int64_t id = 0;
    std::string link;
    std::string meetingId;
};

inline RoomInfo roomFrom(const HttpResponse& response)
{
    REQUIRE((response.status == 200 || response.status == 201));
    const auto room = json(response.body);
    return RoomInfo{room->getValue<std::int64_t>("id"), room->getValue<std::string>("link"),
                    room->getValue<std::string>("meetingId")};
}

/// The caller's personal room, with `settings` (a JSON object body) applied.
inline RoomInfo personalRoom(ApiClient& owner, const std::string& settings = "{}")
{
    const auto list = owner.call("GET", "/api/v1/rooms");
    REQUIRE(list.status == 200);
    const auto rooms = json(list.body)->getArray("rooms");
    REQUIRE(rooms->size() >= 1);
    const auto id = rooms->getObject(0)->getValue<std::int64_t>("id");
    return roomFrom(owner.call("PATCH", "/api/v1/rooms/" + std::to_string(id), settings));
}

/// A server with an admin and one user, "owner", who owns the rooms in the tests.
class SignalingServer : public ServerWithAdmin
{
public:
    explicit SignalingServer(std::vector<std::string> extra = {})
        : ServerWithAdmin(std::move(extra)), owner(userWithRole("owner", "user"))
    {}

    /// The owner's WebSocket, joined to their own room.
    std::unique_ptr<WsClient> ownerJoins(const RoomInfo& room)
    {
        auto ws = std::make_unique<WsClient>(port(), sessionCookie(owner));
        const auto joined = ws->join(R"("link":")" + room.link + "\"");
        REQUIRE(joined);
        REQUIRE(joined->getValue<std::string>("type") == "joined");
        REQUIRE(joined->getValue<std::string>("role") == "moderator");
        return ws;
    }

    ApiClient owner;
};

/// The "code" of an error message, or its type when it is not an error.
inline std::string codeOf(const Poco::JSON::Object::Ptr& message)
{
    if (!message)
        return "(no message)";
    const auto type = message->getValue<std::string>("type");
    return type == "error" ? message->getValue<std::string>("code") : type;
}

/// The roster entry with this name in a joined message, or nullptr.
inline Poco::JSON::Object::Ptr rosterEntry(const Poco::JSON::Object::Ptr& joined, const std::string& name)
{
    const auto roster = joined->getArray("roster");
    for (std::size_t i = 0; i < roster->size(); ++i) {
        const auto entry = roster->getObject(static_cast<unsigned>(i));
        if (entry->getValue<std::string>("name") == name)
            return entry;
    }
    return nullptr;
}

/// How many audit entries match the query string (e.g. "action=room.join&outcome=failure").
inline int auditCount(ApiClient auditor, const std::string& query)
{
    const auto response = auditor.call("GET", "/api/v1/audit?" + query);
    REQUIRE(response.status == 200);
    return json(response.body)->getValue<int>("total");
}

inline std::string guestJoin(const RoomInfo& room, const std::string& name, const std::string& pin = {})
{
    return R"("link":")" + room.link + R"(","name":")" + name + "\"" +
           (pin.empty() ? "" : R"(,"pin":")" + pin + "\"");
}

} // namespace parley::test
