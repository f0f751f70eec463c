#pragma once

extern "C" {
#include <libavformat/avio.h>
}

#include <string>

namespace parley::recorder {

/// An AVIOContext over a file descriptor the caller keeps open (files in the recording
/// volume are opened relative to its held root, never by path, so libavformat cannot open
/// them itself). Seekable; reading or writing as asked. Frees the context and its buffer.
class FdIoContext
{
public:
    enum class Mode { Read, Write };

    /// Throws std::runtime_error when out of memory. Reading starts at offset 0.
    FdIoContext(int fd, Mode mode);
    ~FdIoContext();
    FdIoContext(const FdIoContext&) = delete;
    FdIoContext& operator=(const FdIoContext&) = delete;

    AVIOContext* get() const { return io_; }

private:
    int fd_;
    AVIOContext* io_ = nullptr;
};

/// av_strerror's text for an FFmpeg error code.
std::string describeAvError(int error);

} // namespace parley::recorder
