// Signaling messages from a client through a whole SignalingSession, as a connection hands
// them on: join (by link, meeting ID or session), lobby, hand, moderation, media and the
// rest, against a real database with one user and her personal room, without a media
// router. The first byte says whether the client is signed in as that user; then one message
// per line, where @LINK@ and @MID@ stand for the room's link and meeting ID. Slow (the
// database is written on joins and leaves).
// Checked besides not crashing: the session never throws for what a client sent, everything
// it answers is a JSON object with a type, and once the connection ends the participant is
// gone from the room (no live room is left behind).
#include "fuzz_input.h"

#include <parley/portal/accounts/login_throttle.h>
#include <parley/portal/meetings/participant.h>
#include <parley/portal/meetings/room_registry.h>
#include <parley/portal/meetings/room_service.h>
#include <parley/portal/meetings/signaling_session.h>
#include <parley/storage/audit_log.h>
#include <parley/storage/database.h>
#include <parley/storage/user_store.h>

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>

using namespace parley::portal;
using parley::fuzz::require;
namespace storage = parley::storage;

namespace {

/// What the session answers: each must be a JSON object with a string type.
class CheckingSink : public ParticipantSink
{
public:
    void send(const std::string& text) override
    {
        Poco::JSON::Object::Ptr message;
        try {
            message = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
        }
        catch (const Poco::Exception&) {
            parley::fuzz::fail("the session sent something that is not a JSON object");
        }
        require(message && message->has("type") && message->get("type").isString(), "a message without a type");
    }
    void close(int, const std::string&) override {}
};

struct World
{
    std::filesystem::path directory;
    std::unique_ptr<storage::Database> database;
    std::unique_ptr<storage::AuditLog> audit;
    MeetingSettings settings;
    std::unique_ptr<RoomService> rooms;
    RoomRegistry registry;
    std::unique_ptr<LoginThrottle> pinThrottle;
    std::unique_ptr<LoginThrottle> meetingIdThrottle;
    std::unique_ptr<SignalingContext> context;
    Principal owner;
    storage::Room room;

    World()
    {
        directory = std::filesystem::temp_directory_path() / ("parley-fuzz-signaling-" + std::to_string(::getpid()));
        std::filesystem::remove_all(directory);
        std::filesystem::create_directories(directory);
        database = std::make_unique<storage::Database>(storage::Database::Options{directory / "parley.db"});
        audit = std::make_unique<storage::AuditLog>(*database, std::string(32, 'k'));
        rooms = std::make_unique<RoomService>(*database, *audit, settings);
        pinThrottle = std::make_unique<LoginThrottle>(settings.pinThrottle);
        meetingIdThrottle = std::make_unique<LoginThrottle>(settings.meetingIdThrottle);
        context = std::make_unique<SignalingContext>(
            SignalingContext{*rooms, registry, *audit, *pinThrottle, *meetingIdThrottle, nullptr, nullptr});
        storage::User user;
        user.username = "owner";
        user.displayName = "Owner";
        owner.user = storage::UserStore(*database).create(user);
        room = rooms->personalRoom(owner.user, "127.0.0.1");
    }
    ~World() { std::filesystem::remove_all(directory); }
};

World& world()
{
    static World instance;
    return instance;
}

void replaceAll(std::string& text, const std::string& from, const std::string& to)
{
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    auto& w = world();
    parley::fuzz::InputReader input(data, size);
    const bool signedIn = input.flag();
    std::string messages(parley::fuzz::text(input.rest()));
    replaceAll(messages, "@LINK@", w.room.linkSecret);
    replaceAll(messages, "@MID@", std::to_string(w.room.meetingId));
    {
        SignalingSession session(*w.context, signedIn ? std::optional<Principal>(w.owner) : std::nullopt, "127.0.0.1",
                                 std::make_shared<CheckingSink>());
        std::size_t start = 0;
        while (start <= messages.size()) {
            auto end = messages.find('\n', start);
            if (end == std::string::npos)
                end = messages.size();
            try {
                session.onMessage(messages.substr(start, end - start));
            }
            catch (const std::exception&) {
                parley::fuzz::fail("the session threw for a client's message");
            }
            start = end + 1;
        }
        session.onTick();
        session.onDisconnect("fuzzing", false);
    }
    require(w.registry.find(w.room.id) == nullptr, "the room is still live after its only participant left");
    return 0;
}
