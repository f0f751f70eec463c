#include "block_file_process.h"
#include "block_file_server.h"

#include <parley/storage/volume_error.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace parley::storage {

namespace {

void writeAll(int fd, const std::string& text)
{
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t put = ::write(fd, text.data() + done, text.size() - done);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return;
        done += static_cast<std::size_t>(put);
    }
}

// Runs in the daemon; reports "ok <pid>" or "error <message>" on `report` and never returns.
[[noreturn]] void runDaemon(int report, const ContainerInfo& info, const std::filesystem::path& file,
                            SecretBytes volumeKey, const std::filesystem::path& mountDir)
{
    // Nobody, root included through a core file, reads the key out of this process.
    ::prctl(PR_SET_DUMPABLE, 0);
#if !defined(__SANITIZE_ADDRESS__)
    // Keeps OpenSSL's expanded key out of swap too. Not under AddressSanitizer, whose
    // terabytes of reserved shadow memory cannot be locked.
    ::mlockall(MCL_CURRENT | MCL_FUTURE);
#endif
    // The caller's descriptors (sockets, a test runner's pipes) stay with the caller.
    if (report > STDERR_FILENO + 1)
        ::close_range(STDERR_FILENO + 1, static_cast<unsigned>(report - 1), 0);
    ::close_range(static_cast<unsigned>(report + 1), ~0u, 0);
    const int devNull = ::open("/dev/null", O_RDWR);
    if (devNull >= 0) {
        ::dup2(devNull, STDIN_FILENO);
        ::dup2(devNull, STDOUT_FILENO);
        ::dup2(devNull, STDERR_FILENO);
        if (devNull > STDERR_FILENO)
            ::close(devNull);
    }
    const int container = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
    if (container < 0) {
        writeAll(report, "error cannot open " + file.string() + ": " + std::strerror(errno));
        ::_exit(1);
    }
    int status = 0;
    try {
        XtsSectorCipher cipher(volumeKey, info.sectorSize, info.ivOffsetSectors);
        volumeKey = SecretBytes(); // OpenSSL holds the expanded key now; drop our copy
        BlockFileSource source{container, info.dataOffsetBytes, info.dataSizeBytes, &cipher};
        std::string error;
        const bool served = serveBlockFile(
            mountDir, info.uuid, source,
            [&] {
                writeAll(report, "ok " + std::to_string(::getpid()));
                ::close(report);
            },
            error);
        if (!served) {
            writeAll(report, "error " + error);
            status = 1;
        }
    }
    catch (const std::exception& e) {
        writeAll(report, std::string("error ") + e.what());
        status = 1;
    }
    ::fsync(container);
    ::close(container);
    ::_exit(status);
}

} // namespace

pid_t startBlockFileProcess(const LuksContainer& container, SecretBytes volumeKey,
                            const std::filesystem::path& mountDir, const std::filesystem::path& pidFile)
{
    const ContainerInfo info = container.info();
    if (info.cipher != "aes-xts-plain64")
        throw VolumeError(VolumeFailure::NotAVolume, container.file().string() + " uses " + info.cipher +
                                                         "; the userspace engine reads aes-xts-plain64 only");
    // dm-crypt refuses such a device too; serving it would leave a partial sector at the end.
    if (info.sectorSize == 0 || info.dataSizeBytes % info.sectorSize != 0 || info.dataSizeBytes == 0)
        throw VolumeError(VolumeFailure::NotAVolume,
                          "the data segment of " + container.file().string() + " (" +
                              std::to_string(info.dataSizeBytes) + " bytes) is not a whole number of " +
                              std::to_string(info.sectorSize) + "-byte sectors: was the file resized by hand?");
    int pipeEnds[2];
    if (::pipe2(pipeEnds, O_CLOEXEC) != 0)
        throw VolumeError(VolumeFailure::SystemError, std::string("cannot create a pipe: ") + std::strerror(errno));
    const pid_t child = ::fork();
    if (child < 0) {
        ::close(pipeEnds[0]);
        ::close(pipeEnds[1]);
        throw VolumeError(VolumeFailure::SystemError, std::string("cannot fork: ") + std::strerror(errno));
    }
    if (child == 0) {
        // Fork twice so the daemon is nobody's child: it outlives parleyctl and is reaped by
        // init, and the caller does not collect a zombie when it exits.
        ::close(pipeEnds[0]);
        ::setsid();
        ::signal(SIGHUP, SIG_IGN);
        const pid_t daemon = ::fork();
        if (daemon != 0)
            ::_exit(daemon < 0 ? 1 : 0);
        runDaemon(pipeEnds[1], info, container.file(), std::move(volumeKey), mountDir);
    }
    ::close(pipeEnds[1]);
    volumeKey = SecretBytes();
    int childStatus = 0;
    while (::waitpid(child, &childStatus, 0) < 0 && errno == EINTR) {
    }
    std::string report;
    char buffer[512];
    for (;;) {
        const ssize_t got = ::read(pipeEnds[0], buffer, sizeof buffer);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        report.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(pipeEnds[0]);
    if (!report.starts_with("ok "))
        throw VolumeError(VolumeFailure::SystemError,
                          "the userspace engine did not start: " +
                              (report.starts_with("error ") ? report.substr(6) : std::string("it exited at once")));
    const pid_t pid = static_cast<pid_t>(std::stol(report.substr(3)));
    std::ofstream(pidFile) << pid << "\n";
    return pid;
}

} // namespace parley::storage
