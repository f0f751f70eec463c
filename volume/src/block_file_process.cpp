#include "block_file_process.h"

#include <parley/volume/volume_error.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace parley::volume {

namespace {

/// Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot.
unsigned long long processStartTime(pid_t pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const auto close = text.rfind(')');
    if (close == std::string::npos)
        return 0;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    for (int index = 3; fields >> field; ++index)
        if (index == 22)
            return std::strtoull(field.c_str(), nullptr, 10);
    return 0;
}

/// The engine's program: installed beside the package's programs in
/// <prefix>/libexec/parley when the caller runs from <prefix>/sbin, else the build tree's.
std::string enginePath()
{
    std::error_code error;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
    if (!error) {
        const auto installed = self.parent_path().parent_path() / "libexec" / "parley" / "parley-volume-engine";
        if (std::filesystem::exists(installed, error))
            return installed.string();
    }
    return PARLEY_VOLUME_ENGINE_PATH;
}

} // namespace

BlockFileProcess runningBlockFileProcess(const std::filesystem::path& pidFile)
{
    std::ifstream in(pidFile);
    long pid = 0;
    unsigned long long startTime = 0;
    if (!(in >> pid >> startTime) || pid <= 1)
        return {};
    if (::kill(static_cast<pid_t>(pid), 0) != 0 || processStartTime(static_cast<pid_t>(pid)) != startTime)
        return {};
    return {static_cast<pid_t>(pid), startTime};
}

BlockFileProcess startBlockFileProcess(int containerFd, const ContainerInfo& info, SecretBytes volumeKey,
                                       const std::filesystem::path& mountDir, const std::filesystem::path& pidFile)
{
    if (info.cipher != "aes-xts-plain64")
        throw VolumeError(VolumeFailure::NotAVolume,
                          "the volume uses " + info.cipher + "; the userspace engine reads aes-xts-plain64 only");
    // dm-crypt refuses such a device too; serving it would leave a partial sector at the end.
    if (info.sectorSize == 0 || info.dataSizeBytes % info.sectorSize != 0 || info.dataSizeBytes == 0)
        throw VolumeError(VolumeFailure::NotAVolume,
                          "the data segment of the volume (" + std::to_string(info.dataSizeBytes) +
                              " bytes) is not a whole number of " + std::to_string(info.sectorSize) +
                              "-byte sectors: was the file resized by hand?");

    // Everything the child needs is prepared before fork: after it, only async-signal-safe
    // calls until execve.
    const auto engine = enginePath();
    std::vector<std::string> arguments{engine,
                                       mountDir.string(),
                                       info.uuid,
                                       std::to_string(info.dataOffsetBytes),
                                       std::to_string(info.dataSizeBytes),
                                       std::to_string(info.sectorSize),
                                       std::to_string(info.ivOffsetSectors)};
    std::vector<char*> argv;
    for (auto& argument : arguments)
        argv.push_back(argument.data());
    argv.push_back(nullptr);
    char path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    char* environment[] = {path, nullptr};

    int keyPipe[2];
    int reportPipe[2];
    if (::pipe2(keyPipe, O_CLOEXEC) != 0)
        throw VolumeError(VolumeFailure::SystemError, std::string("cannot create a pipe: ") + std::strerror(errno));
    if (::pipe2(reportPipe, O_CLOEXEC) != 0) {
        ::close(keyPipe[0]);
        ::close(keyPipe[1]);
        throw VolumeError(VolumeFailure::SystemError, std::string("cannot create a pipe: ") + std::strerror(errno));
    }
    const pid_t child = ::fork();
    if (child == 0) {
        // Fork twice so the engine is nobody's child: init reaps it, and the caller keeps no
        // zombie. Its descriptors: 3 container, 4 key, 5 report; nothing else.
        ::setsid();
        ::signal(SIGHUP, SIG_IGN);
        if (::fork() != 0)
            ::_exit(0);
        // Move the three descriptors above 5 first, so the dup2s below cannot clobber them.
        const int container = ::fcntl(containerFd, F_DUPFD, 10);
        const int key = ::fcntl(keyPipe[0], F_DUPFD, 10);
        const int report = ::fcntl(reportPipe[1], F_DUPFD, 10);
        if (container < 0 || key < 0 || report < 0 || ::dup2(container, 3) < 0 || ::dup2(key, 4) < 0 ||
            ::dup2(report, 5) < 0)
            ::_exit(1);
        ::close_range(6, ~0u, 0);
        ::execve(argv[0], argv.data(), environment);
        ::_exit(127);
    }
    ::close(keyPipe[0]);
    ::close(reportPipe[1]);
    if (child < 0) {
        ::close(keyPipe[1]);
        ::close(reportPipe[0]);
        throw VolumeError(VolumeFailure::SystemError, std::string("cannot fork: ") + std::strerror(errno));
    }
    // The pipe holds 64 KiB; the key is 64 bytes, so this never blocks.
    const ssize_t sent = ::write(keyPipe[1], volumeKey.data(), volumeKey.size());
    ::close(keyPipe[1]);
    volumeKey = SecretBytes();
    int childStatus = 0;
    while (::waitpid(child, &childStatus, 0) < 0 && errno == EINTR) {
    }
    std::string answer;
    char buffer[512];
    for (;;) {
        const ssize_t got = ::read(reportPipe[0], buffer, sizeof buffer);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        answer.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(reportPipe[0]);
    if (sent < 0 || !answer.starts_with("ok "))
        throw VolumeError(VolumeFailure::SystemError,
                          "the userspace engine (" + engine + ") did not start: " +
                              (answer.starts_with("error ") ? answer.substr(6) : std::string("it exited at once")));
    BlockFileProcess process;
    process.pid = static_cast<pid_t>(std::stol(answer.substr(3)));
    process.startTime = processStartTime(process.pid);
    std::ofstream(pidFile) << process.pid << " " << process.startTime << "\n";
    return process;
}

} // namespace parley::volume
