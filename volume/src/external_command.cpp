#include "external_command.h"

#include <parley/volume/volume_error.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

namespace parley::volume {

namespace {

std::string findTool(const std::string& name)
{
    for (const char* directory : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
        const std::filesystem::path candidate = std::filesystem::path(directory) / name;
        if (::access(candidate.c_str(), X_OK) == 0)
            return candidate.string();
    }
    throw VolumeError(VolumeFailure::SystemError, name + " is not installed (Debian package e2fsprogs)");
}

} // namespace

CommandResult runCommand(const std::vector<std::string>& arguments)
{
    const std::string program = findTool(arguments.at(0));
    std::vector<char*> argv;
    std::vector<std::string> copies = arguments;
    for (auto& argument : copies)
        argv.push_back(argument.data());
    argv.push_back(nullptr);
    char path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    char* environment[] = {path, nullptr};

    int output[2];
    if (::pipe2(output, O_CLOEXEC) != 0)
        throw VolumeError(VolumeFailure::SystemError, std::string("cannot create a pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, output[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, output[1], STDERR_FILENO);
    pid_t pid = -1;
    const int spawned = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environment);
    posix_spawn_file_actions_destroy(&actions);
    ::close(output[1]);
    if (spawned != 0) {
        ::close(output[0]);
        throw VolumeError(VolumeFailure::SystemError, "cannot run " + program + ": " + std::strerror(spawned));
    }
    CommandResult result;
    char buffer[4096];
    for (;;) {
        const ssize_t got = ::read(output[0], buffer, sizeof buffer);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        result.output.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(output[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

} // namespace parley::volume
