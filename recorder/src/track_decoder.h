#pragma once

#include "fd_io_context.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include <cstdint>
#include <string>

namespace parley::recorder {

/// Decodes the single stream of a recorded track file, frame by frame, with FFmpeg's
/// decoder for its codec. Damaged packets are skipped and counted, not fatal.
class TrackDecoder
{
public:
    /// Throws std::runtime_error naming the file when it is not a readable media file.
    TrackDecoder(int fd, std::string name);
    TrackDecoder(const TrackDecoder&) = delete;
    TrackDecoder& operator=(const TrackDecoder&) = delete;

    /// The next decoded frame (owned by the decoder, valid until the next call; the caller
    /// may take it with av_frame_move_ref), or nullptr at the end of the file.
    AVFrame* next();
    /// The last frame's time in milliseconds from the start of the recording.
    std::int64_t frameMs() const { return frameMs_; }

    struct Span
    {
        std::int64_t firstMs = 0;
        std::int64_t lastMs = 0;
    };
    /// Reads every packet (without decoding) for the times of the first and last; the
    /// decoder is used up afterwards. {0, 0} for a file without packets.
    Span packetSpan();

    /// The height of the largest picture in the file: every VP8 keyframe's header read
    /// (senders start small and grow as their bandwidth allows), else the height the file
    /// declares (H.264); 0 for sound. Reads every packet without decoding; the decoder is
    /// used up afterwards.
    int tallestPicture();

    /// Frees the demuxer and the decoder with their buffers: a composition keeps every
    /// track until it ends, and a meeting where people came and went has hundreds of tracks
    /// that ended long before. Counts stay; next() returns nullptr from then on.
    void close() { h_.reset(); }

    std::uint64_t framesDecoded() const { return decoded_; }
    std::uint64_t errors() const { return errors_; }

private:
    std::string name_;
    FdIoContext io_;
    // A member (not the destructor) frees them, so a constructor that throws half-way
    // frees what it had made.
    struct Handles
    {
        AVFormatContext* format = nullptr;
        AVCodecContext* codec = nullptr;
        AVPacket* packet = nullptr;
        AVFrame* frame = nullptr;
        Handles() = default;
        Handles(const Handles&) = delete;
        Handles& operator=(const Handles&) = delete;
        ~Handles() { reset(); }
        void reset();
    } h_;
    AVRational timeBase_{1, 1000};
    std::int64_t frameMs_ = 0;
    std::uint64_t decoded_ = 0;
    std::uint64_t errors_ = 0;
    bool draining_ = false;
};

} // namespace parley::recorder
