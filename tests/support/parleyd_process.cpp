#include "parleyd_process.h"

#include "child_process.h"
#include "tls_client.h"

#include <csignal>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace parley::test {

ParleydProcess::ParleydProcess(const std::vector<std::string>& args,
                               const std::filesystem::path& workDir)
    : outputFile_(workDir / ("parleyd-" + std::to_string(::getpid()) + "-" +
                             std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) +
                             ".out"))
{
    // Tests run in parallel: each server's media port is a free one unless the test says
    // otherwise (a later --set wins).
    std::vector<std::string> argv{PARLEYD_PATH, "--set", "router.port=0", "--set", "router.tcp_port=0"};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = spawnProcess(argv, outputFile_, workDir);
}

ParleydProcess::~ParleydProcess()
{
    if (running()) {
        ::kill(pid_, SIGKILL);
        waitForExit(std::chrono::seconds(10));
    }
}

bool ParleydProcess::running()
{
    if (exitCode_)
        return false;
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
        exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return false;
    }
    return true;
}

std::optional<int> ParleydProcess::waitForExit(std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() >= deadline)
            return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return exitCode_;
}

void ParleydProcess::signal(int signalNumber)
{
    if (running())
        ::kill(pid_, signalNumber);
}

bool ParleydProcess::waitUntilServing(std::uint16_t port, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline && running()) {
        try {
            // Any HTTP answer means serving (an address deny list answers 403).
            if (httpsRequest(port, "GET", "/healthz").status > 0)
                return true;
        }
        catch (const std::runtime_error&) {
            // not listening yet
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
}

std::uint16_t ParleydProcess::servingPort(std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const std::string marker = " event=https.listening ";
    while (std::chrono::steady_clock::now() < deadline && running()) {
        const auto text = output();
        const auto at = text.find(marker);
        if (at != std::string::npos) {
            const auto lineEnd = text.find('\n', at);
            if (lineEnd != std::string::npos) {
                const auto line = text.substr(at, lineEnd - at);
                const auto port = static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(" port=") + 6)));
                const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now());
                return waitUntilServing(port, left) ? port : 0;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return 0;
}

std::string ParleydProcess::output() const
{
    return readFile(outputFile_);
}

ParleydRun runParleyd(const std::vector<std::string>& args, const std::filesystem::path& workDir)
{
    ParleydProcess process(args, workDir);
    const auto code = process.waitForExit(std::chrono::seconds(30));
    if (!code)
        throw std::runtime_error("parleyd did not exit; output:\n" + process.output());
    return {*code, process.output()};
}

RunningServer::RunningServer(const std::vector<std::string>& extraArgs,
                             const std::function<void(const std::filesystem::path&)>& prepare)
    : dataDir_(dir_ / "data"), port_(0)
{
    if (prepare)
        prepare(dataDir_);
    std::vector<std::string> args{"--set", "server.data_dir=" + dataDir_.string(), "--set",
                                  "server.port=0"};
    args.insert(args.end(), extraArgs.begin(), extraArgs.end());
    process_ = std::make_unique<ParleydProcess>(args, dir_.path());
    port_ = process_->servingPort();
    if (port_ == 0)
        throw std::runtime_error("parleyd did not start serving; output:\n" + process_->output());
}

} // namespace parley::test
