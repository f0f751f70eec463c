#include <parley/portal/meetings/live_room.h>
#include <parley/portal/meetings/signaling_outbox.h>

#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

#include <thread>

using namespace parley::portal;

namespace {

/// Keeps what a participant was sent.
struct RecordingSink : ParticipantSink
{
    std::vector<Poco::JSON::Object::Ptr> messages;
    int closeCode = 0;
    std::mutex mutex;

    void send(const std::string& text) override
    {
        std::lock_guard lock(mutex);
        messages.push_back(Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>());
    }
    void close(int code, const std::string&) override { closeCode = code; }

    std::vector<std::string> types()
    {
        std::lock_guard lock(mutex);
        std::vector<std::string> result;
        for (const auto& message : messages)
            result.push_back(message->getValue<std::string>("type"));
        return result;
    }
};

struct Person
{
    Participant participant;
    std::shared_ptr<RecordingSink> sink = std::make_shared<RecordingSink>();
};

Person person(const std::string& id, bool moderator, std::optional<std::int64_t> userId = {},
              std::optional<std::int64_t> invitation = {})
{
    Person p;
    p.participant.id = id;
    p.participant.identity.displayName = id;
    p.participant.identity.guest = !userId;
    p.participant.identity.userId = userId;
    p.participant.identity.invitationId = invitation;
    p.participant.role = moderator ? ParticipantRole::Moderator : ParticipantRole::Participant;
    p.participant.sink = p.sink;
    return p;
}

using Types = std::vector<std::string>;

} // namespace

TEST_CASE("Live room: the lobby, admission and the roster each participant sees")
{
    LiveRoom room({1, 123456789, "Room", "personal", false});
    LiveRoom::Entry entry{};
    auto guest = person("guest", false);
    REQUIRE(room.enter(guest.participant, true, 10, entry).empty());
    CHECK(entry == LiveRoom::Entry::Waiting);
    CHECK(guest.sink->types() == Types{"lobby.waiting"});

    auto host = person("host", true, 1);
    REQUIRE(room.enter(host.participant, false, 10, entry).empty());
    CHECK(entry == LiveRoom::Entry::Present);
    REQUIRE(host.sink->types() == Types{"joined"});
    CHECK(host.sink->messages[0]->getArray("waiting")->size() == 1);

    CHECK(room.admit("guest", "guest") == "not_moderator"); // waiting people moderate nothing
    CHECK(room.admit("host", "nobody") == "not_waiting");
    REQUIRE(room.admit("host", "guest").empty());
    CHECK(guest.sink->types() == Types{"lobby.waiting", "lobby.admitted", "joined"});
    CHECK(guest.sink->messages[2]->getArray("roster")->size() == 2);
    CHECK(host.sink->types() == Types{"joined", "participant.joined", "lobby.updated"});
    CHECK(room.presentCount() == 2);
    CHECK(room.waitingCount() == 0);

    // The router attaches tracks; everyone sees them in the participant's entry.
    REQUIRE(room.setTracks("guest", {{"mid0", "audio", "guest"}, {"mid1", "video", "guest"}}, {}).empty());
    const auto update = guest.sink->messages.back();
    CHECK(update->getValue<std::string>("type") == "participant.updated");
    CHECK(update->getObject("participant")->getArray("tracks")->size() == 2);
    CHECK(room.setTracks("nobody", {}, {}) == "unknown_participant");
}

TEST_CASE("Live room: capacity, kicks, revoked invitations and the end")
{
    LiveRoom room({1, 123456789, "Room", "meeting", false});
    LiveRoom::Entry entry{};
    auto host = person("host", true, 1);
    auto user = person("user", false, 2);
    auto invitee = person("invitee", false, std::nullopt, 77);
    REQUIRE(room.enter(host.participant, false, 3, entry).empty());
    REQUIRE(room.enter(user.participant, false, 3, entry).empty());
    REQUIRE(room.enter(invitee.participant, false, 3, entry).empty());
    auto late = person("late", false);
    CHECK(room.enter(late.participant, false, 3, entry) == "room_full");

    std::optional<Participant> removed;
    CHECK(room.kick("host", "host", removed) == "cannot_target_self");
    CHECK(room.kick("user", "host", removed) == "not_moderator");
    REQUIRE(room.kick("host", "user", removed).empty());
    CHECK(removed->identity.userId == 2);
    CHECK(user.sink->closeCode == 4403);
    auto again = person("user-again", false, 2);
    CHECK(room.enter(again.participant, false, 3, entry) == "removed");

    CHECK(room.removeInvitee(77) == std::vector<std::string>{"invitee"});
    CHECK(invitee.sink->closeCode == 4403);
    CHECK(invitee.sink->messages.back()->getValue<std::string>("reason") == "invitation_revoked");
    CHECK(room.presentCount() == 1);

    const auto ended = room.endForAll("ended_by_moderator");
    CHECK(ended == std::vector<std::string>{"host"});
    CHECK(host.sink->closeCode == 4404);
    CHECK(room.empty());
    // A join that checked the stored room before the end is still refused.
    auto straggler = person("straggler", false);
    CHECK(room.enter(straggler.participant, false, 3, entry) == "meeting_ended");
}

TEST_CASE("Live room: a lock set after a joiner checked the stored room still refuses it")
{
    LiveRoom room({1, 123456789, "Room", "personal", false});
    LiveRoom::Entry entry{};
    auto host = person("host", true, 1);
    REQUIRE(room.enter(host.participant, false, 10, entry).empty());
    room.announceLocked(true);
    auto guest = person("guest", false);
    CHECK(room.enter(guest.participant, false, 10, entry) == "room_locked");
    auto moderator = person("co-host", true, 2);
    CHECK(room.enter(moderator.participant, false, 10, entry).empty());

    // Mutes reach the enforcer in roster order, once per change.
    auto member = person("member", false);
    room.announceLocked(false);
    REQUIRE(room.enter(member.participant, false, 10, entry).empty());
    std::vector<std::pair<std::string, bool>> enforced;
    const auto record = [&](const std::string& id, bool muted) { enforced.emplace_back(id, muted); };
    REQUIRE(room.muteByModerator("host", "member", "audio", true, record).empty());
    REQUIRE(room.muteByModerator("host", "member", "audio", true, record).empty()); // no change
    REQUIRE(room.muteByModerator("host", "", "audio", false, record).empty());
    CHECK(enforced == std::vector<std::pair<std::string, bool>>{{"member", true}, {"member", false}});
}

TEST_CASE("Live room: concurrent joins, leaves and moderation keep one consistent roster")
{
    LiveRoom room({1, 123456789, "Room", "personal", false});
    LiveRoom::Entry entry{};
    auto host = person("host", true, 1);
    REQUIRE(room.enter(host.participant, false, 1000, entry).empty());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&room, t] {
            for (int i = 0; i < 200; ++i) {
                auto p = person("p" + std::to_string(t) + "-" + std::to_string(i), false);
                LiveRoom::Entry e{};
                REQUIRE(room.enter(p.participant, i % 2 == 0, 1000, e).empty());
                if (i % 2 == 0)
                    room.admit("host", p.participant.id);
                room.setHand(p.participant.id, true);
                room.muteByModerator("host", p.participant.id, "audio", true);
                REQUIRE(room.leave(p.participant.id, "left"));
            }
        });
    for (auto& thread : threads)
        thread.join();
    CHECK(room.presentCount() == 1);
    CHECK(room.waitingCount() == 0);
}

TEST_CASE("A signaling outbox that is not drained closes its connection instead of growing")
{
    SignalingOutbox outbox(1000);
    outbox.send(std::string(600, 'a'));
    auto batch = outbox.take();
    CHECK(batch.messages.size() == 1);
    CHECK_FALSE(batch.close);
    outbox.send(std::string(600, 'b'));
    outbox.send(std::string(600, 'c')); // 1200 queued bytes: over the bound
    batch = outbox.take();
    CHECK(batch.messages.empty());
    REQUIRE(batch.close);
    CHECK(batch.close->first == 4008);
    outbox.send("after close");
    CHECK(outbox.take().messages.empty());
}
