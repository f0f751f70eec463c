// Slow and silent HTTP clients: capped per address and in total, and cut at a deadline for
// the whole request head however they trickle, while the server keeps serving others.
#include "parleyd_process.h"
#include "tls_client.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

using namespace parley::test;
using namespace std::chrono_literals;

namespace {

std::string from(int address)
{
    return "127.0.0." + std::to_string(address);
}

/// Opens up to `attempts` TLS connections from the address; the ones the server took.
std::vector<std::unique_ptr<TlsClient>> open(std::uint16_t port, int address, int attempts, int& refused)
{
    std::vector<std::unique_ptr<TlsClient>> taken;
    for (int i = 0; i < attempts; ++i) {
        try {
            taken.push_back(std::make_unique<TlsClient>(port, TlsOptions{}, from(address)));
        }
        catch (const std::exception&) {
            ++refused;
        }
    }
    return taken;
}

/// /healthz from a fresh address: its status and how long it took.
std::pair<int, std::chrono::milliseconds> health(std::uint16_t port, int address)
{
    const auto started = std::chrono::steady_clock::now();
    TlsClient client(port, TlsOptions{}, from(address));
    client.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    const auto status = parseHttpResponse(client.readAll()).status;
    return {status, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)};
}

} // namespace

TEST_CASE("Slow clients from one address are capped, and trickling does not outlast the request deadline")
{
    RunningServer server({"--set", "server.request_timeout_seconds=3", "--set", "server.max_connections_per_address=16"});
    int refused = 0;
    auto slow = open(server.port(), 2, 40, refused);
    CHECK(slow.size() == 16);
    CHECK(refused == 24);

    // Each sends a byte of its request head every half second and never finishes it.
    std::atomic<bool> stop{false};
    std::vector<std::chrono::milliseconds> cutAfter(slow.size(), 0ms);
    std::vector<std::thread> tricklers;
    const auto started = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < slow.size(); ++i)
        tricklers.emplace_back([&, i] {
            const std::string head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
            for (std::size_t n = 0; !stop; ++n) {
                try {
                    slow[i]->write(std::string(1, n < head.size() ? head[n] : 'a'));
                }
                catch (const std::exception&) {
                    break; // the server cut it
                }
                char byte = 0;
                if (slow[i]->readSome(&byte, 1, 500ms) == 0)
                    break;
            }
            cutAfter[i] = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        });
    // Others are served meanwhile, at once.
    const auto [status, took] = health(server.port(), 50);
    CHECK(status == 200);
    CHECK(took < 1s);
    std::this_thread::sleep_for(6s);
    stop = true;
    for (auto& trickler : tricklers)
        trickler.join();
    for (const auto after : cutAfter) {
        // Cut at the 3 s deadline (checked four times a second), not kept alive by trickling.
        CHECK(after >= 2500ms);
        CHECK(after < 5s);
    }
    // The address has its places back.
    refused = 0;
    const auto again = open(server.port(), 2, 3, refused);
    CHECK(again.size() == 3);
}

TEST_CASE("Silent connections from 25 addresses cannot keep others from being served")
{
    RunningServer server({"--set", "server.max_threads=256", "--set", "server.max_connections_per_address=8"});
    int refused = 0;
    std::vector<std::unique_ptr<TlsClient>> silent;
    for (int address = 2; address < 27; ++address)
        for (auto& connection : open(server.port(), address, 10, refused))
            silent.push_back(std::move(connection));
    CHECK(silent.size() == 200);
    CHECK(refused == 50);
    for (int i = 0; i < 5; ++i) {
        const auto [status, took] = health(server.port(), 100 + i);
        CHECK(status == 200);
        CHECK(took < 1s);
    }
}

namespace {

/// Sends `head` then trickles a byte every half second until the server ends the connection
/// (or answers); how long that took, from the first byte sent.
std::chrono::milliseconds trickleUntilCut(TlsClient& client, const std::string& head)
{
    const auto started = std::chrono::steady_clock::now();
    client.write(head);
    char byte = 0;
    for (int i = 0; i < 40; ++i) {
        try {
            client.write("a");
        }
        catch (const std::exception&) {
            break;
        }
        if (client.readSome(&byte, 1, 500ms) != -1)
            break; // closed, or answered: either way the trickle is over
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
}

} // namespace

TEST_CASE("A trickled body and a trickled next request on a kept-alive connection are cut at their deadlines too")
{
    RunningServer server({"--set", "server.request_timeout_seconds=2", "--set", "server.keep_alive_timeout_seconds=1"});
    SECTION("the body of a request")
    {
        TlsClient client(server.port());
        const auto took = trickleUntilCut(client, "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                  "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{");
        INFO("cut after " << took.count() << " ms");
        CHECK(took < 3s); // the 2 s body deadline, checked four times a second
    }
    SECTION("the next request on a kept-alive connection")
    {
        TlsClient client(server.port());
        client.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        std::string answer;
        char buffer[512];
        while (answer.find('}') == std::string::npos) {
            const int n = client.readSome(buffer, sizeof buffer, 2s);
            REQUIRE(n > 0);
            answer.append(buffer, static_cast<std::size_t>(n));
        }
        REQUIRE(answer.find(" 200 ") != std::string::npos);
        const auto took = trickleUntilCut(client, "G");
        INFO("cut after " << took.count() << " ms");
        CHECK(took < 4s); // keep-alive 1 s plus the 2 s head deadline
    }
}
