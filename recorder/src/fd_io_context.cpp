#include "fd_io_context.h"

extern "C" {
#include <libavutil/error.h>
#include <libavutil/mem.h>
}

#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace parley::recorder {

namespace {

constexpr int kIoBufferSize = 64 * 1024;

int readFromFd(void* opaque, std::uint8_t* data, int size)
{
    const int fd = *static_cast<int*>(opaque);
    for (;;) {
        const ssize_t got = ::read(fd, data, static_cast<std::size_t>(size));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return AVERROR(errno);
        return got == 0 ? AVERROR_EOF : static_cast<int>(got);
    }
}

// FFmpeg 5 declares the buffer non-const (6 made it const).
int writeToFd(void* opaque, std::uint8_t* data, int size)
{
    const int fd = *static_cast<int*>(opaque);
    int done = 0;
    while (done < size) {
        const ssize_t put = ::write(fd, data + done, static_cast<std::size_t>(size - done));
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return AVERROR(errno ? errno : EIO);
        done += static_cast<int>(put);
    }
    return done;
}

std::int64_t seekFd(void* opaque, std::int64_t offset, int whence)
{
    const int fd = *static_cast<int*>(opaque);
    if (whence == AVSEEK_SIZE) {
        struct stat status{};
        return ::fstat(fd, &status) == 0 ? status.st_size : AVERROR(errno);
    }
    const off_t result = ::lseek(fd, static_cast<off_t>(offset), whence & ~AVSEEK_FORCE);
    return result < 0 ? AVERROR(errno) : result;
}

} // namespace

FdIoContext::FdIoContext(int fd, Mode mode) : fd_(fd)
{
    // Reading starts at the beginning whoever read the descriptor before.
    if (mode == Mode::Read)
        ::lseek(fd, 0, SEEK_SET);
    auto* buffer = static_cast<std::uint8_t*>(av_malloc(kIoBufferSize));
    if (buffer)
        io_ = mode == Mode::Write ? avio_alloc_context(buffer, kIoBufferSize, 1, &fd_, nullptr, writeToFd, seekFd)
                                  : avio_alloc_context(buffer, kIoBufferSize, 0, &fd_, readFromFd, nullptr, seekFd);
    if (!io_) {
        av_free(buffer);
        throw std::runtime_error("out of memory for file I/O");
    }
}

FdIoContext::~FdIoContext()
{
    av_freep(&io_->buffer);
    avio_context_free(&io_);
}

std::string describeAvError(int error)
{
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(error, text, sizeof text);
    return text;
}

} // namespace parley::recorder
