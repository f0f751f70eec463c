#include "child_process.h"
#include "parleyd_process.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <poll.h>
#include <regex>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace parley::test;

namespace {

/// The service manager's side of sd_notify: a datagram socket parleyd finds in NOTIFY_SOCKET.
class NotifySocket
{
public:
    explicit NotifySocket(const std::filesystem::path& path) : fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0))
    {
        REQUIRE(fd_ >= 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        REQUIRE(path.string().size() < sizeof(address.sun_path));
        path.string().copy(address.sun_path, sizeof(address.sun_path) - 1);
        REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
        ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
    }
    ~NotifySocket()
    {
        ::unsetenv("NOTIFY_SOCKET");
        ::close(fd_);
    }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    /// The next message, or "" if none comes within the timeout.
    std::string next(std::chrono::milliseconds timeout = std::chrono::seconds(20))
    {
        pollfd wait{fd_, POLLIN, 0};
        if (::poll(&wait, 1, static_cast<int>(timeout.count())) != 1)
            return "";
        char buffer[4096];
        const auto got = ::recv(fd_, buffer, sizeof(buffer), 0);
        return got > 0 ? std::string(buffer, static_cast<std::size_t>(got)) : "";
    }

private:
    int fd_;
};

} // namespace

TEST_CASE("parleyd tells systemd when it serves, reloads and stops (Type=notify)")
{
    TempDir socketDir;
    NotifySocket manager(socketDir / "notify");
    RunningServer server; // returns once /healthz answers
    const auto ready = manager.next();
    CHECK_THAT(ready, Catch::StartsWith("READY=1\nSTATUS=serving https on port " + std::to_string(server.port())));
    // Nothing before READY: systemd would take an early message for readiness.
    CHECK(manager.next(std::chrono::milliseconds(200)).empty());

    server.process().signal(SIGHUP);
    CHECK(manager.next() == "RELOADING=1");
    CHECK_THAT(manager.next(), Catch::StartsWith("READY=1\n"));

    server.process().signal(SIGTERM);
    CHECK(manager.next() == "STOPPING=1");
    CHECK(server.process().waitForExit() == 0);
}

TEST_CASE("Without NOTIFY_SOCKET, or with one nobody listens on, parleyd serves as before")
{
    TempDir socketDir;
    ::setenv("NOTIFY_SOCKET", (socketDir / "nobody").c_str(), 1);
    RunningServer server;
    ::unsetenv("NOTIFY_SOCKET");
    CHECK(server.port() != 0);
    CHECK_THAT(server.process().output(), Catch::Contains("cannot notify systemd"));
    server.process().signal(SIGTERM);
    CHECK(server.process().waitForExit() == 0);
}

TEST_CASE("Under systemd the log carries syslog priorities for the journal, without time stamps")
{
    TempDir dir;
    const auto output = dir / "journal.out";
    // JOURNAL_STREAM names the device and inode of stderr, as systemd sets it for a service
    // whose output goes to the journal; the notify socket nobody listens on makes a warning.
    const auto pid = spawnProcess(
        {"/bin/sh", "-c",
         "JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) NOTIFY_SOCKET=" + (dir / "nobody").string() +
             " exec \"$0\" --set server.port=0 --set router.port=0 --set router.tcp_port=0 --set server.data_dir=" + (dir / "data").string(),
         PARLEYD_PATH},
        output, dir.path());
    std::string text;
    for (int i = 0; i < 200 && text.find("cannot notify systemd") == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        text = shellOutput("cat " + output.string());
    }
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK_THAT(text, Catch::Contains("<6>level=info source=parleyd event=server.starting msg=\"parleyd " PARLEY_VERSION_TEXT
                                     " starting\" version=" PARLEY_VERSION_TEXT "\n"));
    CHECK_FALSE(std::regex_search(text, std::regex("time=")));
    CHECK_THAT(text, Catch::Contains("<4>level=warning source=parleyd event=systemd.notify_failed msg=\"cannot notify systemd"));
    // Without JOURNAL_STREAM the same lines start with a UTC time instead.
    RunningServer plain;
    const auto plainText = plain.process().output();
    CHECK(std::regex_search(plainText, std::regex("(^|\n)time=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z level=info "
                                                  "source=parleyd event=server.starting msg=")));
    CHECK(plainText.find("<6>") == std::string::npos);
}
