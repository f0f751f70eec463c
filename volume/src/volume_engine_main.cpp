// parley-volume-engine: the userspace engine's FUSE process. Started by parleyctl (through
// startBlockFileProcess) with a fresh address space, so nothing of its caller (passphrases,
// the audit key, the database) is in its memory: only the volume key, read from a pipe.
//
// File descriptors: 3 the container (read-write), 4 the pipe the volume key arrives on,
// 5 the pipe to report "ok <pid>" or "error <message>" on.
// Arguments: MOUNT_DIR UUID DATA_OFFSET DATA_SIZE SECTOR_SIZE IV_OFFSET
#include "block_file_server.h"

#include <parley/volume/secret_bytes.h>
#include <parley/volume/xts_sector_cipher.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PR_SET_IO_FLUSHER
#define PR_SET_IO_FLUSHER 57
#endif

namespace {

constexpr int kContainerFd = 3;
constexpr int kKeyFd = 4;
constexpr int kReportFd = 5;

void report(const std::string& text)
{
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t put = ::write(kReportFd, text.data() + done, text.size() - done);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return;
        done += static_cast<std::size_t>(put);
    }
}

parley::volume::SecretBytes readKey()
{
    parley::volume::SecretBytes key(64);
    std::size_t done = 0;
    while (done < key.size()) {
        const ssize_t got = ::read(kKeyFd, key.data() + done, key.size() - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        done += static_cast<std::size_t>(got);
    }
    ::close(kKeyFd);
    key.truncate(done);
    return key;
}

} // namespace

int main(int argc, char** argv)
{
    // Nobody reads the key out of this process through ptrace or a core file.
    ::prctl(PR_SET_DUMPABLE, 0);
    // It serves a loop device: memory reclaim may wait on its writes, so it must not itself
    // wait on reclaim (the kernel's advice for block-device daemons).
    ::prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0);
#if !defined(__SANITIZE_ADDRESS__)
    // Keeps the key and OpenSSL's expanded key out of swap. Not under AddressSanitizer,
    // whose terabytes of reserved shadow memory cannot be locked. Best effort: a limit on
    // locked memory leaves the engine working, with the key possibly swapped.
    (void)::mlockall(MCL_CURRENT | MCL_FUTURE);
#endif
    ::umask(077);
    if (::chdir("/") != 0)
        return 1;
    if (argc != 7) {
        report("error parley-volume-engine: wrong arguments");
        return 64;
    }
    const int devNull = ::open("/dev/null", O_RDWR);
    if (devNull >= 0) {
        ::dup2(devNull, STDIN_FILENO);
        ::dup2(devNull, STDOUT_FILENO);
        ::dup2(devNull, STDERR_FILENO);
        if (devNull > STDERR_FILENO)
            ::close(devNull);
    }
    int status = 0;
    try {
        parley::volume::SecretBytes key = readKey();
        parley::volume::XtsSectorCipher cipher(key, static_cast<std::uint32_t>(std::stoul(argv[5])),
                                                std::stoull(argv[6]));
        key = parley::volume::SecretBytes(); // OpenSSL holds the expanded key now
        const parley::volume::BlockFileSource source{kContainerFd, std::stoull(argv[3]), std::stoull(argv[4]),
                                                      &cipher};
        std::string error;
        const bool served = parley::volume::serveBlockFile(
            argv[1], argv[2], source,
            [] {
                report("ok " + std::to_string(::getpid()));
                ::close(kReportFd);
            },
            error);
        if (!served) {
            report("error " + error);
            status = 1;
        }
    }
    catch (const std::exception& e) {
        report(std::string("error ") + e.what());
        status = 1;
    }
    ::fsync(kContainerFd);
    return status;
}
