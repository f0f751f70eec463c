#pragma once

#include <parley/recorder/recording_composer.h>

#include "fd_io_context.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include <memory>

namespace parley::recorder {

/// The composed file's sound, which every track is converted to and mixed in: 48 kHz stereo.
inline constexpr int kMixSampleRate = 48000;
inline constexpr int kMixChannels = 2;

struct CodecDeleter
{
    void operator()(AVCodecContext* context) const { avcodec_free_context(&context); }
};
using CodecPtr = std::unique_ptr<AVCodecContext, CodecDeleter>;

struct FormatDeleter
{
    void operator()(AVFormatContext* format) const { avformat_free_context(format); }
};

struct PacketDeleter
{
    void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;

/// The output file: muxer, encoders and their streams.
class ComposedFile
{
public:
    ComposedFile(int fd, const CompositionOptions& options, bool video, bool audio);

    ComposedFile(const ComposedFile&) = delete;
    ComposedFile& operator=(const ComposedFile&) = delete;

    AVCodecContext* video() const { return video_.get(); }
    AVCodecContext* audio() const { return audio_.get(); }

    /// Encodes `frame` (nullptr flushes) and writes what the encoder gives back.
    void encode(AVCodecContext* codec, AVFrame* frame);

    void finish();

private:
    AVStream* addStream(AVCodecContext* codec);

    void openVideo(const CompositionOptions& options);

    void openAudio(const CompositionOptions& options);

    int fd_;
    FdIoContext io_;
    std::unique_ptr<AVFormatContext, FormatDeleter> format_;
    PacketPtr packet_;
    CodecPtr video_;
    CodecPtr audio_;
    AVStream* videoStream_ = nullptr;
    AVStream* audioStream_ = nullptr;
};

} // namespace parley::recorder
