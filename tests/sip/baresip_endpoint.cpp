#include "baresip_endpoint.h"

#include "child_process.h"
#include "eventually.h"

#include <csignal>
#include <sys/wait.h>
#include <thread>

#include <vector>

namespace parley::test {

BaresipEndpoint::BaresipEndpoint(const Options& options)
{
    // baresip 1.0.0's keys (src/config.c). No player module: nothing is played anywhere.
    writeFile(dir_ / "config", "poll_method epoll\n"
                               "sip_listen 127.0.0.1:0\n"
                               "net_interface 127.0.0.1\n"
                               "audio_source ausine," + std::to_string(options.toneHz) + "\n"
                               "audio_alert ausine," + std::to_string(options.toneHz) + "\n"
                               // A player is needed, or the call ends (ENOSYS); the bridge
                               // plays into nothing.
                               "audio_player aubridge,parley-test\n"
                               "rtcp_mux yes\n"
                               "rtp_ports 30000-39999\n"
                               "call_local_timeout 30\n"
                               "module_path /usr/lib/baresip/modules\n"
                               "module opus.so\nmodule g722.so\nmodule g711.so\nmodule srtp.so\nmodule ausine.so\n"
                               "module aubridge.so\n"
                               "module_tmp account.so\n"
                               "module_app menu.so\n");
    writeFile(dir_ / "accounts", options.account + "\n");
    std::vector<std::string> command{"/usr/bin/baresip", "-f", dir_.path().string(), "-t", std::to_string(options.seconds)};
    if (!options.dial.empty())
        command.insert(command.end(), {"-e", "/dial " + options.dial});
    pid_ = spawnProcess(command, dir_ / "baresip.log");
}

BaresipEndpoint::~BaresipEndpoint()
{
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        for (int i = 0; i < 50; ++i) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_)
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
}

std::string BaresipEndpoint::output() const
{
    return readFile(dir_ / "baresip.log");
}

bool BaresipEndpoint::waitFor(const std::string& text, std::chrono::milliseconds timeout) const
{
    return eventually([&] { return output().find(text) != std::string::npos; }, timeout,
                      std::chrono::milliseconds(100));
}

} // namespace parley::test
