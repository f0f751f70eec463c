// Guessing a password with many requests at once: the throttle counts an attempt before its
// password is checked, so 300 parallel guesses get no more checks than the free attempts.
#include "account_fixture.h"

#include "tls_client.h"

#include <atomic>
#include <memory>
#include <thread>

using namespace parley::test;
using namespace std::chrono_literals;

namespace {

std::string loginRequest(const std::string& password)
{
    const auto body = R"({"username":"admin","password":)" + jsonString(password) + "}";
    return "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           "Connection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

} // namespace

TEST_CASE("300 parallel guesses at one password get no more checks than the free attempts")
{
    constexpr int kGuesses = 300;
    constexpr int kRightOne = 249; // the 250th carries the right password
    ServerWithAdmin server({"--set", "login.account_free_attempts=5", "--set", "login.address_free_attempts=1000",
                            "--set", "login.lockout_base_seconds=60", "--set",
                            "server.max_connections_per_address=400"});
    // Every connection is open and past its TLS handshake before any guess is sent.
    std::vector<std::unique_ptr<TlsClient>> connections;
    for (int i = 0; i < kGuesses; ++i)
        connections.push_back(std::make_unique<TlsClient>(server.port()));

    std::vector<int> statuses(kGuesses, 0);
    std::atomic<bool> go{false};
    std::vector<std::thread> guessers;
    for (int i = 0; i < kGuesses; ++i)
        guessers.emplace_back([&, i] {
            while (!go.load())
                std::this_thread::yield();
            auto& connection = *connections[static_cast<std::size_t>(i)];
            connection.write(loginRequest(i == kRightOne ? kAdminPassword : "wrong-guess-" + std::to_string(i)));
            statuses[static_cast<std::size_t>(i)] = parseHttpResponse(connection.readAll()).status;
        });
    go = true;
    // A legitimate client is served meanwhile.
    const auto started = std::chrono::steady_clock::now();
    TlsClient health(server.port());
    health.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    CHECK(parseHttpResponse(health.readAll()).status == 200);
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    for (auto& guesser : guessers)
        guesser.join();

    int checked = 0;
    int refused = 0;
    for (const auto status : statuses) {
        if (status == 401 || status == 200)
            ++checked;
        else if (status == 429)
            ++refused;
    }
    INFO("checked " << checked << ", refused " << refused);
    CHECK(checked <= 5);
    CHECK(checked >= 1);
    CHECK(checked + refused == kGuesses);
    // The parallel checks counted: wrong guesses one after another find the lock after the
    // free attempts in all, and then even the right password is refused.
    if (statuses[kRightOne] != 200) {
        ApiClient client(server.port());
        int sequential = 0;
        while (sequential < 10 && client.login("admin", "one-more-wrong").status == 401)
            ++sequential;
        CHECK(checked + sequential == 5);
        CHECK(client.login("admin", kAdminPassword).status == 429);
    }
}
