#include <parley/portal/meetings/live_room.h>
#include <parley/portal/meetings/signaling_outbox.h>

#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

#include <algorithm>
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
    REQUIRE(room.setTracks("guest", {{"mid0", "audio", "guest", "opus"}, {"mid1", "video", "guest", "VP8"}}, {}).empty());
    const auto update = guest.sink->messages.back();
    CHECK(update->getValue<std::string>("type") == "participant.updated");
    CHECK(update->getObject("participant")->getArray("tracks")->size() == 2);
    // Each says its codec: a SIP call takes only video in its own (the router does not transcode).
    CHECK(update->getObject("participant")->getArray("tracks")->getObject(1)->getValue<std::string>("codec") == "VP8");
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

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string tokenOf(const Poco::JSON::Object::Ptr& joined)
{
    return joined->getValue<std::string>("resumeToken");
}

/// The last message of this type the sink got, or nullptr.
Poco::JSON::Object::Ptr lastOf(RecordingSink& sink, const std::string& type)
{
    std::lock_guard lock(sink.mutex);
    for (auto it = sink.messages.rbegin(); it != sink.messages.rend(); ++it)
        if ((*it)->getValue<std::string>("type") == type)
            return *it;
    return nullptr;
}

/// A personal room with its host (user 1, a moderator) and a guest present, and the resume
/// token of the guest's joined.
struct HostAndGuest
{
    LiveRoom room{{1, 123456789, "Room", "personal", false}};
    Person host = person("host", true, 1);
    Person guest = person("guest", false);
    std::string token;

    HostAndGuest()
    {
        LiveRoom::Entry entry{};
        REQUIRE(room.enter(host.participant, false, 10, entry).empty());
        REQUIRE(room.enter(guest.participant, false, 10, entry).empty());
        token = tokenOf(lastOf(*guest.sink, "joined"));
    }
};

} // namespace

TEST_CASE("Live room: a lost connection holds the participant's place, and its token resumes it once")
{
    HostAndGuest f;
    auto& [room, host, guest, firstToken] = f;
    LiveRoom::Entry entry{};
    CHECK(firstToken.size() == 43);
    CHECK(tokenOf(lastOf(*host.sink, "joined")) != firstToken);
    REQUIRE(room.setTracks("guest", {{"guest/0", "audio", "guest", "opus"}}, {}).empty());
    REQUIRE(room.setHand("guest", true).empty());
    REQUIRE(room.muteByModerator("host", "guest", "video", true).empty());

    // Its connection is lost: the others see it reconnecting, not gone.
    CHECK(room.depart("guest", guest.sink.get(), "connection lost", 30s) == LiveRoom::Departure::Held);
    auto update = lastOf(*host.sink, "participant.updated");
    REQUIRE(update);
    CHECK(update->getObject("participant")->getValue<bool>("reconnecting"));
    CHECK_FALSE(lastOf(*host.sink, "participant.left"));
    CHECK(room.presentCount() == 2);
    CHECK_FALSE(room.holds("guest", guest.sink.get())); // the old connection is out
    // Messages meant for it meanwhile are dropped, not queued on the dead connection.
    const auto before = guest.sink->messages.size();
    room.announceLocked(false);
    CHECK(guest.sink->messages.size() == before);
    // It still counts toward the room's capacity.
    auto third = person("third", false);
    CHECK(room.enter(third.participant, false, 2, entry) == "room_full");

    // A new connection resumes it: same id, hand and mutes; the tracks are negotiated anew.
    auto fresh = std::make_shared<RecordingSink>();
    Participant resumed;
    REQUIRE(room.resume(firstToken, std::nullopt, fresh, resumed).empty());
    CHECK(resumed.id == "guest");
    CHECK(resumed.handRaised);
    CHECK(resumed.videoMutedByModerator);
    CHECK(resumed.published.empty());
    CHECK(room.holds("guest", fresh.get()));
    const auto joined = lastOf(*fresh, "joined");
    REQUIRE(joined);
    CHECK(joined->getValue<std::string>("participantId") == "guest");
    CHECK(joined->getValue<std::string>("role") == "participant");
    CHECK(joined->getArray("roster")->size() == 2);
    const auto secondToken = tokenOf(joined);
    CHECK(secondToken != firstToken);
    update = lastOf(*host.sink, "participant.updated");
    CHECK_FALSE(update->getObject("participant")->getValue<bool>("reconnecting"));
    CHECK(update->getObject("participant")->getArray("tracks")->size() == 0);
    CHECK_FALSE(lastOf(*host.sink, "participant.left"));
    const auto types = host.sink->types();
    CHECK(std::count(types.begin(), types.end(), "participant.joined") == 1); // the guest's first entry only
    CHECK(room.presentCount() == 2);

    // A token works once.
    auto replay = std::make_shared<RecordingSink>();
    CHECK(room.resume(firstToken, std::nullopt, replay, resumed) == "invalid_token");
    CHECK(replay->messages.empty());
    CHECK(room.resume("", std::nullopt, replay, resumed) == "invalid_token");
    CHECK(room.resume(std::string(43, 'A'), std::nullopt, replay, resumed) == "invalid_token");
    CHECK(room.holds("guest", fresh.get()));
}

TEST_CASE("Live room: a resume while the old connection is open takes it over, and the old one's end changes nothing")
{
    HostAndGuest f;
    auto& [room, host, guest, token] = f;

    auto fresh = std::make_shared<RecordingSink>();
    Participant resumed;
    REQUIRE(room.resume(token, std::nullopt, fresh, resumed).empty());
    CHECK(guest.sink->closeCode == 4409);
    // The old connection ending now is not the participant leaving.
    CHECK(room.depart("guest", guest.sink.get(), "closed", 0s) == LiveRoom::Departure::Replaced);
    CHECK(room.depart("guest", guest.sink.get(), "lost", 30s) == LiveRoom::Departure::Replaced);
    CHECK(room.presentCount() == 2);
    CHECK_FALSE(lastOf(*host.sink, "participant.left"));
    // The new one leaving is.
    CHECK(room.depart("guest", fresh.get(), "left", 0s) == LiveRoom::Departure::Removed);
    CHECK(lastOf(*host.sink, "participant.left"));
    CHECK(room.depart("guest", fresh.get(), "left", 0s) == LiveRoom::Departure::Gone);
}

TEST_CASE("Live room: a resume resets the participant's media under the room's lock, and the replaced connection can neither negotiate nor set tracks")
{
    HostAndGuest f;
    auto& [room, host, guest, token] = f;
    REQUIRE(room.muteByModerator("host", "guest", "audio", true).empty());

    // The reset sees the mutes as they stand, with the new connection already in place.
    auto fresh = std::make_shared<RecordingSink>();
    Participant resumed;
    int resets = 0;
    bool mutedSeen = false;
    REQUIRE(room.resume(token, std::nullopt, fresh, resumed, [&](const Participant& participant) {
        ++resets;
        mutedSeen = participant.audioMutedByModerator;
        CHECK(participant.sink.get() == fresh.get()); // already the new connection's
        CHECK(participant.published.empty());
    }).empty());
    CHECK(resets == 1);
    CHECK(mutedSeen);

    // The old connection may no longer negotiate or publish for it; the new one may.
    bool ran = false;
    CHECK_FALSE(room.whileHolding("guest", guest.sink.get(), [&] { ran = true; }));
    CHECK_FALSE(ran);
    CHECK(room.setTracks("guest", {{"guest/0", "audio", "guest", "opus"}}, {}, guest.sink.get()) == "unknown_participant");
    CHECK(room.whileHolding("guest", fresh.get(), [&] { ran = true; }));
    CHECK(ran);
    CHECK(room.setTracks("guest", {{"guest/0", "audio", "guest", "opus"}}, {}, fresh.get()).empty());
    // A refused token resets nothing.
    CHECK(room.resume(token, std::nullopt, std::make_shared<RecordingSink>(), resumed, [&](const Participant&) { ++resets; }) == "invalid_token");
    CHECK(resets == 1);
}

TEST_CASE("Live room: a user's place is resumed only by that user, and the grace ends with participant.left")
{
    LiveRoom room({1, 123456789, "Room", "personal", false});
    LiveRoom::Entry entry{};
    auto host = person("host", true, 1);
    auto user = person("user", false, 2);
    auto waiting = person("waiting", false);
    REQUIRE(room.enter(host.participant, false, 10, entry).empty());
    REQUIRE(room.enter(user.participant, false, 10, entry).empty());
    REQUIRE(room.enter(waiting.participant, true, 10, entry).empty());
    const auto token = tokenOf(lastOf(*user.sink, "joined"));
    REQUIRE(room.depart("user", user.sink.get(), "lost", 5s) == LiveRoom::Departure::Held);

    Participant resumed;
    auto stranger = std::make_shared<RecordingSink>();
    CHECK(room.resume(token, std::nullopt, stranger, resumed) == "invalid_token"); // a guest
    CHECK(room.resume(token, 3, stranger, resumed) == "invalid_token");            // another user
    CHECK(stranger->messages.empty());

    // Nobody waits in the lobby for a reconnection: a lost lobby connection is gone.
    CHECK(room.depart("waiting", waiting.sink.get(), "lost", 5s) == LiveRoom::Departure::Removed);
    CHECK(room.waitingCount() == 0);

    // Before the deadline nothing expires; after it the participant is removed, and its
    // token no longer works even before the expiry pass.
    CHECK(room.expireReconnecting(Clock::now()).empty());
    CHECK(room.presentCount() == 2);
    const auto expired = room.expireReconnecting(Clock::now() + 6s);
    REQUIRE(expired.size() == 1);
    CHECK(expired[0].id == "user");
    CHECK(expired[0].identity.userId == 2);
    const auto left = lastOf(*host.sink, "participant.left");
    REQUIRE(left);
    CHECK(left->getValue<std::string>("participantId") == "user");
    CHECK(left->getValue<std::string>("reason") == "connection_lost");
    CHECK(room.resume(token, 2, stranger, resumed) == "invalid_token");
    CHECK(room.presentCount() == 1);
}

TEST_CASE("Live room: an expired grace refuses the token at once, a moderator may remove a reconnecting participant, and no grace removes at once")
{
    LiveRoom room({1, 123456789, "Room", "personal", false});
    LiveRoom::Entry entry{};
    auto host = person("host", true, 1);
    auto a = person("a", false);
    auto b = person("b", false);
    auto c = person("c", false);
    for (auto* p : {&host, &a, &b, &c})
        REQUIRE(room.enter(p->participant, false, 10, entry).empty());
    // A grace that has already run out (1 ns): the token is refused even before expiry runs.
    const auto tokenA = tokenOf(lastOf(*a.sink, "joined"));
    REQUIRE(room.depart("a", a.sink.get(), "lost", 1ns) == LiveRoom::Departure::Held);
    std::this_thread::sleep_for(1ms);
    Participant resumed;
    CHECK(room.resume(tokenA, std::nullopt, std::make_shared<RecordingSink>(), resumed) == "invalid_token");

    // A reconnecting participant can be kicked; its token dies with it.
    const auto tokenB = tokenOf(lastOf(*b.sink, "joined"));
    REQUIRE(room.depart("b", b.sink.get(), "lost", 30s) == LiveRoom::Departure::Held);
    std::optional<Participant> removed;
    REQUIRE(room.kick("host", "b", removed).empty());
    CHECK(room.resume(tokenB, std::nullopt, std::make_shared<RecordingSink>(), resumed) == "invalid_token");

    // Without a grace (closed on purpose, or reconnect_grace_seconds=0) it leaves at once.
    CHECK(room.depart("c", c.sink.get(), "left", 0s) == LiveRoom::Departure::Removed);
    CHECK(lastOf(*host.sink, "participant.left")->getValue<std::string>("participantId") == "c");
    CHECK(room.depart("nobody", nullptr, "lost", 30s) == LiveRoom::Departure::Gone);
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
