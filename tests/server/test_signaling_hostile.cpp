#include "signaling_fixture.h"

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace parley::test;
using namespace std::chrono_literals;

namespace {

/// After abuse, the server still answers a fresh, well-behaved connection.
void serverStillServes(std::uint16_t port)
{
    WsClient fresh(port);
    fresh.sendText(R"({"type":"ping"})");
    CHECK(fresh.receives("pong", 5s));
}

} // namespace

TEST_CASE("Invalid JSON, non-objects and unknown types get an error and the connection stays usable")
{
    SignalingServer server;
    WsClient ws(server.port());
    const std::vector<std::pair<std::string, std::string>> cases{
        {"{not json", "invalid_json"},
        {"", "invalid_json"},
        {"[1,2,3]", "invalid_message"},
        {"42", "invalid_json"}, // Poco's parser wants an object or array at the top
        {R"({"no":"type"})", "invalid_message"},
        {R"({"type":17})", "invalid_message"},
        {R"({"type":"launch.missiles"})", "unknown_type"},
        {R"({"type":"kick","participantId":"x"})", "not_joined"},
        {R"({"type":"join"})", "invalid_request"},
        {R"({"type":"join","link":12})", "invalid_request"},
        {R"({"type":"join","link":")" + std::string(5000, 'a') + "\"}", "invalid_request"},
        {std::string(R"({"type":"join","x":)") + std::string(200, '[') + std::string(200, ']') + "}",
         "json_limit_exceeded"},
        {"{\"type\":\"join\",\"link\":\"\xff\xfe\"}", "invalid_json"},
    };
    for (const auto& [text, code] : cases) {
        INFO(text.substr(0, 80));
        ws.sendText(text);
        const auto error = ws.expect("error");
        REQUIRE(error);
        CHECK(error->getValue<std::string>("code") == code);
    }
    ws.sendText(R"({"type":"ping"})");
    CHECK(ws.receives("pong", 5s));
}

TEST_CASE("Sizes a page reports for the videos it shows that are not whole pixels by track id are refused, the connection stays usable")
{
    SignalingServer server;
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    auto ws = server.ownerJoins(room);
    std::string many = R"("heights":{)";
    for (int i = 0; i < 65; ++i)
        many += (i ? "," : "") + std::string("\"t") + std::to_string(i) + "\":10";
    many += "}";
    for (const std::string& bad : {std::string(""), std::string(R"("heights":[1,2])"), std::string(R"("heights":{"a/1":-1})"),
                                  std::string(R"("heights":{"a/1":4321})"), std::string(R"("heights":{"a/1":"big"})"),
                                  std::string(R"("heights":{"a/1":1.5})"), std::string(R"("heights":{"a/1":null})"),
                                  std::string(R"("heights":{"a/1":4294967297})"),
                                  R"("heights":{")" + std::string(200, 'x') + R"(":10})", many}) {
        INFO(bad.substr(0, 80));
        ws->sendText(R"({"type":"media.view")" + (bad.empty() ? "" : "," + bad) + "}");
        CHECK(codeOf(ws->expect("error")) == "invalid_message");
    }
    // Good ones are taken without an answer (tracks it does not receive are ignored).
    ws->sendText(R"({"type":"media.view","heights":{"someone/1":360,"someone/2":0}})");
    ws->sendText(R"({"type":"ping"})");
    CHECK(ws->expect("pong"));
    CHECK_FALSE(ws->receives("error", 300ms));
}

TEST_CASE("A frame larger than the message limit closes the connection with 1009")
{
    SignalingServer server;
    WsClient ws(server.port());
    // The header of a masked 10 MB text frame and its first kilobyte: the server must refuse
    // on the announced length, not buffer 10 MB first.
    std::string header{"\x81\xff", 2};
    const std::uint64_t size = 10 * 1024 * 1024;
    for (int shift = 56; shift >= 0; shift -= 8)
        header += static_cast<char>((size >> shift) & 0xff);
    header += std::string("\x01\x02\x03\x04", 4);
    ws.sendRaw(header + std::string(1024, 'x'));
    CHECK(ws.closeCode() == 1009);

    // A message split into fragments that together exceed the limit is refused the same way.
    WsClient fragments(server.port());
    fragments.sendFrame(1, std::string(40000, ' '), false);
    fragments.sendFrame(0, std::string(40000, ' '), true);
    CHECK(fragments.closeCode() == 1009);

    // Fragments within the limit are one message.
    WsClient fine(server.port());
    fine.sendFrame(1, R"({"type":)", false);
    fine.sendFrame(9, "ping in between");
    fine.sendFrame(0, R"("ping"})", true);
    CHECK(fine.receives("pong", 5s));
    serverStillServes(server.port());
}

TEST_CASE("A thousand messages a second are limited, then the connection is closed with 4429")
{
    SignalingServer server;
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    auto owner = server.ownerJoins(room);
    WsClient flooder(server.port());
    REQUIRE(codeOf(flooder.join(guestJoin(room, "Flooder"))) == "joined");

    std::string burst;
    for (int i = 0; i < 1000; ++i)
        burst += WsClient::frame(1, i % 2 ? R"({"type":"hand.raise"})" : R"({"type":"hand.lower"})");
    flooder.sendRaw(burst); // all at once: far more than 1000 a second
    bool rateLimited = false;
    int code = 0;
    for (;;) {
        const auto frame = flooder.receive(5s);
        if (frame.kind == WsClient::Frame::Kind::Text && frame.payload.find("rate_limited") != std::string::npos)
            rateLimited = true;
        if (frame.kind == WsClient::Frame::Kind::Close) {
            code = frame.closeCode;
            break;
        }
        if (frame.kind == WsClient::Frame::Kind::Timeout || frame.kind == WsClient::Frame::Kind::Closed)
            break;
    }
    CHECK(rateLimited);
    CHECK(code == 4429);
    // The flooder is gone from the room; the others carry on.
    const auto left = owner->expect("participant.left");
    REQUIRE(left);
    owner->sendText(R"({"type":"ping"})");
    CHECK(owner->receives("pong", 5s));
    serverStillServes(server.port());
}

TEST_CASE("Binary frames and broken framing close the connection, and the server carries on")
{
    SignalingServer server;
    {
        WsClient ws(server.port());
        ws.sendFrame(2, "\x01\x02\x03");
        CHECK(ws.closeCode() == 1003);
    }
    {
        WsClient ws(server.port());
        ws.sendFrame(0, "continuation without a start");
        CHECK(ws.closeCode() == 1002);
    }
    {
        WsClient ws(server.port());
        ws.sendRaw(std::string("\x83\x80\0\0\0\0", 6)); // reserved opcode
        CHECK(ws.closeCode() == 1002);
    }
    for (int i = 0; i < 20; ++i) {
        WsClient ws(server.port());
        std::string junk(64, '\0');
        for (auto& c : junk)
            c = static_cast<char>(std::rand());
        ws.sendRaw(junk);
    }
    serverStillServes(server.port());
}

TEST_CASE("Connections are limited per address, a connection must join in time, and a quiet one is closed")
{
    SignalingServer server({"--set", "signaling.max_connections_per_address=3", "--set",
                            "signaling.join_timeout_seconds=2", "--set", "signaling.idle_timeout_seconds=5"});
    {
        WsClient a(server.port()), b(server.port()), c(server.port());
        const auto refused = WsClient::refusedHandshake(server.port());
        CHECK(refused.status == 429);
        CHECK(errorCode(refused) == "too_many_connections");
        CHECK_FALSE(refused.header("retry-after").empty());
    }
    // The three have closed; there is room again.
    std::this_thread::sleep_for(300ms);
    WsClient idle(server.port());
    CHECK(idle.closeCode(6s) == 4408); // never joined

    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    WsClient quiet(server.port());
    REQUIRE(codeOf(quiet.join(guestJoin(room, "Quiet"))) == "joined");
    // The server pings; a client that answers pongs stays (receive() answers pings).
    const auto start = std::chrono::steady_clock::now();
    bool pinged = false;
    while (std::chrono::steady_clock::now() - start < 7s) {
        const auto frame = quiet.receive(1s);
        pinged = pinged || frame.kind == WsClient::Frame::Kind::Ping;
        REQUIRE(frame.kind != WsClient::Frame::Kind::Close);
    }
    CHECK(pinged);
    // One that stops answering (we stop reading, so no pongs go back) is closed.
    quiet.answerPings(false);
    std::this_thread::sleep_for(6500ms);
    CHECK(quiet.closeCode() == 4408);
}

TEST_CASE("Shutting the server down closes signaling connections with 1001")
{
    SignalingServer server;
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    auto owner = server.ownerJoins(room);
    WsClient waiting(server.port()); // connected, not joined
    server.server().process().signal(SIGTERM);
    CHECK(owner->closeCode(10s) == 1001);
    CHECK(waiting.closeCode(10s) == 1001);
    const auto exit = server.server().process().waitForExit(std::chrono::seconds(20));
    REQUIRE(exit);
    CHECK(*exit == 0);
}

TEST_CASE("The WebSocket endpoint refuses plain requests and foreign origins")
{
    SignalingServer server;
    const auto plain = httpsRequest(server.port(), "GET", "/ws");
    CHECK(plain.status == 426);
    CHECK(errorCode(plain) == "upgrade_required");
    const auto foreign = WsClient::refusedHandshake(server.port(), sessionCookie(server.owner),
                                                    "Origin: https://evil.example\r\n");
    CHECK(foreign.status == 403);
    CHECK(errorCode(foreign) == "csrf_failed");
    TlsClient noKey(server.port());
    noKey.write("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n");
    const auto answer = parseHttpResponse(noKey.readResponse());
    CHECK(answer.status == 400);
    CHECK(errorCode(answer) == "bad_handshake");
}

TEST_CASE("Connections that never join, from 25 addresses, cannot keep anyone from joining a meeting")
{
    // The defaults: 100 connections not yet in a room in total, 4 per address.
    SignalingServer server({"--set", "signaling.join_timeout_seconds=60"});
    const auto room = personalRoom(server.owner, R"({"waitingRoom":false})");
    auto from = [](int address) { return "127.0.0." + std::to_string(address); };
    // 25 addresses try 20 connections each (all 500 signaling slots) and never join: each
    // gets 4, the rest are refused.
    std::vector<std::unique_ptr<WsClient>> idle;
    int refused = 0;
    for (int address = 2; address < 27; ++address)
        for (int i = 0; i < 20; ++i) {
            try {
                idle.push_back(std::make_unique<WsClient>(server.port(), "", "", from(address)));
            }
            catch (const std::runtime_error&) {
                ++refused;
            }
        }
    CHECK(idle.size() == 100);
    CHECK(refused == 400);
    CHECK(WsClient::refusedHandshake(server.port(), "", "", from(2)).status == 429);

    // Someone else still joins, at once: the oldest idle connection makes room (1013). The
    // attackers take the freed slot straight back, and the next person still gets in.
    std::vector<std::unique_ptr<WsClient>> joined;
    for (int person = 0; person < 3; ++person) {
        INFO("person " << person);
        const auto started = std::chrono::steady_clock::now();
        joined.push_back(std::make_unique<WsClient>(server.port(), "", "", from(200 + person)));
        CHECK(codeOf(joined.back()->join(guestJoin(room, "Guest " + std::to_string(person)))) == "joined");
        CHECK(std::chrono::steady_clock::now() - started < 2s);
        auto& evicted = idle[static_cast<std::size_t>(person)];
        CHECK(evicted->closeCode(3s) == 1013);
        std::this_thread::sleep_for(100ms); // its thread lets go of the slot
        evicted = std::make_unique<WsClient>(server.port(), "", "", from(2 + person / 4));
    }
    // Joined connections are never closed to make room.
    for (auto& person : joined)
        CHECK_FALSE(person->receives("error", 300ms));
    WsClient one(server.port(), "", "", from(210));
    CHECK(codeOf(one.join(guestJoin(room, "One more"))) == "joined");
    for (auto& person : joined)
        CHECK(person->closeCode(300ms) == 0);
    serverStillServes(server.port());
}

namespace {

/// A line's number from /proc/<pid>/status ("Threads:", "VmRSS:").
long procStatus(pid_t pid, const std::string& field)
{
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind(field, 0) == 0)
            return std::stol(line.substr(field.size()));
    return -1;
}

long openFiles(pid_t pid)
{
    const std::filesystem::path fds("/proc/" + std::to_string(pid) + "/fd");
    return static_cast<long>(std::distance(std::filesystem::directory_iterator(fds), std::filesystem::directory_iterator{}));
}

} // namespace

TEST_CASE("Three hundred open signaling connections cost the server no thread each, and every one is served")
{
    constexpr int kConnections = 300;
    SignalingServer server({"--set", "signaling.max_connections=1000", "--set",
                            "signaling.max_connections_per_address=1000", "--set",
                            "signaling.max_unjoined_connections=1000", "--set", "signaling.max_unjoined_per_address=1000"});
    const auto pid = server.server().process().pid();
    serverStillServes(server.port()); // every thread the server starts anyway is running
    const auto threadsBefore = procStatus(pid, "Threads:");
    const auto filesBefore = openFiles(pid);
    std::vector<std::unique_ptr<WsClient>> clients;
    for (int i = 0; i < kConnections; ++i)
        clients.push_back(std::make_unique<WsClient>(server.port()));
    // All open at once, and all answered, one after the other and all together.
    for (auto& client : clients)
        client->sendText(R"({"type":"ping"})");
    int answered = 0;
    for (auto& client : clients)
        answered += client->receives("pong", 5s) ? 1 : 0;
    CHECK(answered == kConnections);
    const auto threadsDuring = procStatus(pid, "Threads:");
    const auto filesDuring = openFiles(pid);
    INFO("threads " << threadsBefore << " -> " << threadsDuring << ", open files " << filesBefore << " -> "
                    << filesDuring);
    // A thread per connection would add 300; the handshakes may have woken a few more of
    // the request pool's threads.
    CHECK(threadsDuring - threadsBefore <= 10);
    // One descriptor per connection: its socket, no wake-up descriptor of its own.
    CHECK(filesDuring - filesBefore <= kConnections + 10);
    clients.clear();
    // All gone: the server is as it was.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (openFiles(pid) > filesBefore + 5 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    CHECK(openFiles(pid) <= filesBefore + 5);
    serverStillServes(server.port());
}

TEST_CASE("A client that sends pings without reading the answers is held back by TCP, not buffered, and then closed")
{
    SignalingServer server;
    const auto pid = server.server().process().pid();
    serverStillServes(server.port());
    const auto memoryBefore = procStatus(pid, "VmRSS:"); // KiB
    WsClient flooder(server.port());
    std::string burst;
    for (int i = 0; i < 1000; ++i)
        burst += WsClient::frame(9, std::string(125, 'p'));
    // Each ping asks for a pong of the same size; this client never reads one. Once the
    // pongs fill the socket buffers the server must stop reading, so our writes block,
    // until it gives up on the connection and our write fails.
    std::atomic<std::size_t> sent{0};
    std::atomic<bool> failed{false};
    std::atomic<long> peakMemory{memoryBefore};
    const auto start = std::chrono::steady_clock::now();
    std::thread writer([&] {
        try {
            while (std::chrono::steady_clock::now() - start < 60s && sent < 1024u * 1024 * 1024) {
                flooder.sendRaw(burst);
                sent += burst.size();
            }
        }
        catch (const std::exception&) {
            failed = true;
        }
    });
    while (!failed && std::chrono::steady_clock::now() - start < 60s) {
        peakMemory = std::max(peakMemory.load(), procStatus(pid, "VmRSS:"));
        std::this_thread::sleep_for(200ms);
    }
    writer.join();
    const auto took = std::chrono::steady_clock::now() - start;
    INFO("sent " << sent / 1024 << " KiB in " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                 << " ms; server memory " << memoryBefore / 1024 << " -> " << peakMemory / 1024 << " MiB at most");
    CHECK(failed);                   // the server closed the connection
    CHECK(sent < 64u * 1024 * 1024); // what the socket buffers hold, not what a client can send
#if !defined(__SANITIZE_ADDRESS__)
    // (AddressSanitizer keeps freed memory in quarantine, so resident memory says nothing.)
    CHECK(peakMemory - memoryBefore < 16 * 1024);
#endif
    serverStillServes(server.port());
}
