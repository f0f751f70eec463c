// Who has joined with an invitation: joins, lastJoinedAt and present in GET .../invitations.
#include "signaling_fixture.h"

#include <thread>

using namespace parley::test;

namespace {

/// The one invitation the room's list holds.
Poco::JSON::Object::Ptr onlyInvitation(ApiClient& owner, const std::string& path)
{
    const auto response = owner.call("GET", path);
    REQUIRE(response.status == 200);
    const auto list = json(response.body)->getArray("invitations");
    REQUIRE(list->size() == 1);
    return list->getObject(0);
}

} // namespace

TEST_CASE("The invitation list shows how often a key was used, when last, and whether its holder is in the meeting")
{
    SignalingServer server;
    const auto room = personalRoom(server.owner, R"({"pin":"5555"})");
    const auto path = "/api/v1/rooms/" + std::to_string(room.id) + "/invitations";
    const auto issued = server.owner.call("POST", path, R"({"name":"Dr. Invitee"})");
    REQUIRE(issued.status == 201);
    const auto key = json(issued.body)->getValue<std::string>("key");
    CHECK(json(issued.body)->getValue<int>("joins") == 0);

    auto fresh = onlyInvitation(server.owner, path);
    CHECK(fresh->getValue<int>("joins") == 0);
    CHECK(fresh->isNull("lastJoinedAt"));
    CHECK_FALSE(fresh->getValue<bool>("present"));
    // Nothing more than before, and never the key.
    std::vector<std::string> names;
    fresh->getNames(names);
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"createdAt", "createdBy", "id", "joins", "lastJoinedAt", "name",
                                            "present", "revoked"});

    auto owner = server.ownerJoins(room);
    const auto before = std::chrono::system_clock::now() - std::chrono::seconds(1);
    WsClient invitee(server.port());
    REQUIRE(codeOf(invitee.join(R"("key":")" + key + "\"")) == "joined");
    auto joined = onlyInvitation(server.owner, path);
    CHECK(joined->getValue<int>("joins") == 1);
    CHECK(joined->getValue<std::string>("lastJoinedAt") >= isoTime(before));
    CHECK(joined->getValue<bool>("present"));

    // Leaving: still counted, no longer present.
    invitee.sendText(R"({"type":"leave"})");
    REQUIRE(owner->expect("participant.left"));
    auto left = onlyInvitation(server.owner, path);
    CHECK(left->getValue<int>("joins") == 1);
    CHECK_FALSE(left->getValue<bool>("present"));

    // Back again, then kicked: the key is revoked and its holder gone.
    WsClient again(server.port());
    const auto rejoined = again.join(R"("key":")" + key + "\"");
    REQUIRE(codeOf(rejoined) == "joined");
    CHECK(onlyInvitation(server.owner, path)->getValue<int>("joins") == 2);
    CHECK(onlyInvitation(server.owner, path)->getValue<bool>("present"));
    owner->sendText(R"({"type":"kick","participantId":")" + rejoined->getValue<std::string>("participantId") + "\"}");
    CHECK(again.closeCode() == 4403);
    CHECK_FALSE(onlyInvitation(server.owner, path)->getValue<bool>("present"));
    // The kicking moderator's connection revokes the key just after the kick itself.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!onlyInvitation(server.owner, path)->getValue<bool>("revoked") && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(onlyInvitation(server.owner, path)->getValue<bool>("revoked"));

    // A refused join is no join.
    WsClient refused(server.port());
    CHECK(codeOf(refused.join(R"("key":")" + key + "\"")) == "revoked_key");
    CHECK(onlyInvitation(server.owner, path)->getValue<int>("joins") == 2);
}

TEST_CASE("A join by link or as a user is not counted against any invitation")
{
    SignalingServer server;
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false,"pin":""})");
    const auto path = "/api/v1/rooms/" + std::to_string(room.id) + "/invitations";
    REQUIRE(server.owner.call("POST", path, R"({"name":"Unused"})").status == 201);
    auto owner = server.ownerJoins(room);
    WsClient guest(server.port());
    REQUIRE(codeOf(guest.join(guestJoin(room, "Walk-in"))) == "joined");
    const auto invitation = onlyInvitation(server.owner, path);
    CHECK(invitation->getValue<int>("joins") == 0);
    CHECK_FALSE(invitation->getValue<bool>("present"));
}
