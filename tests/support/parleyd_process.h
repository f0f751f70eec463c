#pragma once

#include "temp_dir.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <sys/types.h>

namespace parley::test {

/// The parleyd binary built alongside the tests, run as a real child process with its
/// standard output and error captured to a file.
class ParleydProcess
{
public:
    /// Starts `parleyd args...` in `workDir`.
    ParleydProcess(const std::vector<std::string>& args, const std::filesystem::path& workDir);
    /// Kills the process if it is still running.
    ~ParleydProcess();
    ParleydProcess(const ParleydProcess&) = delete;
    ParleydProcess& operator=(const ParleydProcess&) = delete;

    /// For a server started with server.port=0: waits for the port it logged (the
    /// `event=https.listening` line's `port=`) and for /healthz to answer there. Returns 0 if it never did. An
    /// ephemeral port bound by this very process cannot collide with a parallel test.
    std::uint16_t servingPort(std::chrono::milliseconds timeout = std::chrono::seconds(20));

    /// Polls GET /healthz over TLS until it answers 200, the process exits, or the timeout.
    bool waitUntilServing(std::uint16_t port,
                          std::chrono::milliseconds timeout = std::chrono::seconds(20));
    /// Waits for the process to end; returns its exit code (128+signal if killed), or nullopt
    /// if it is still running after the timeout.
    std::optional<int> waitForExit(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    void signal(int signalNumber);
    bool running();
    pid_t pid() const { return pid_; }
    /// Everything the process wrote to stdout and stderr so far.
    std::string output() const;

private:
    pid_t pid_ = -1;
    std::optional<int> exitCode_;
    std::filesystem::path outputFile_;
};

/// Runs parleyd to completion (for configuration errors) and returns exit code and output.
struct ParleydRun
{
    int exitCode;
    std::string output;
};
ParleydRun runParleyd(const std::vector<std::string>& args, const std::filesystem::path& workDir);

/// A parleyd serving on a free port with its own data directory, for tests of the running
/// server. Extra `--set` overrides may be given.
class RunningServer
{
public:
    /// `prepare` runs after the data directory is chosen and before parleyd starts (to seed
    /// accounts with parleyctl, say).
    explicit RunningServer(const std::vector<std::string>& extraArgs = {},
                           const std::function<void(const std::filesystem::path& dataDir)>& prepare = {});
    std::uint16_t port() const { return port_; }
    const std::filesystem::path& dataDir() const { return dataDir_; }
    ParleydProcess& process() { return *process_; }
    TempDir& dir() { return dir_; }

private:
    TempDir dir_;
    std::filesystem::path dataDir_;
    std::uint16_t port_;
    std::unique_ptr<ParleydProcess> process_;
};

} // namespace parley::test
