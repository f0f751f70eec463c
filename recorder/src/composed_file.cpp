#include "composed_file.h"

#include "composition_error.h"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace parley::recorder {

ComposedFile::ComposedFile(int fd, const CompositionOptions& options, bool video, bool audio)
    : fd_(fd), io_(fd, FdIoContext::Mode::Write), packet_(av_packet_alloc())
{
    if (!packet_.get())
        failComposition("out of memory");
    AVFormatContext* format = nullptr;
    if (const int error = avformat_alloc_output_context2(&format, nullptr, "webm", nullptr); error < 0)
        failComposition("no WebM muxer", error);
    format_.reset(format);
    format_->pb = io_.get();
    format_->flags |= AVFMT_FLAG_CUSTOM_IO;
    if (video)
        openVideo(options);
    if (audio)
        openAudio(options);
    if (const int error = avformat_write_header(format_.get(), nullptr); error < 0)
        failComposition("cannot write the header", error);
}

void ComposedFile::encode(AVCodecContext* codec, AVFrame* frame)
{
    const AVStream* stream = codec == video_.get() ? videoStream_ : audioStream_;
    if (const int error = avcodec_send_frame(codec, frame); error < 0)
        failComposition("the encoder refused a frame", error);
    for (;;) {
        const int received = avcodec_receive_packet(codec, packet_.get());
        if (received == AVERROR(EAGAIN) || received == AVERROR_EOF)
            return;
        if (received < 0)
            failComposition("the encoder failed", received);
        packet_->stream_index = stream->index;
        av_packet_rescale_ts(packet_.get(), codec->time_base, stream->time_base);
        if (const int error = av_interleaved_write_frame(format_.get(), packet_.get()); error < 0)
            failComposition("cannot write the composed file", error);
    }
}

void ComposedFile::finish()
{
    if (video_)
        encode(video_.get(), nullptr);
    if (audio_)
        encode(audio_.get(), nullptr);
    const int error = av_write_trailer(format_.get());
    avio_flush(io_.get());
    if (error < 0)
        failComposition("cannot finish the composed file", error);
    if (::fsync(fd_) != 0)
        failComposition(std::string("cannot sync the composed file: ") + std::strerror(errno));
}

AVStream* ComposedFile::addStream(AVCodecContext* codec)
{
    if (format_->oformat->flags & AVFMT_GLOBALHEADER)
        codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    AVStream* stream = avformat_new_stream(format_.get(), nullptr);
    if (!stream)
        failComposition("out of memory");
    stream->time_base = codec->time_base;
    return stream;
}

void ComposedFile::openVideo(const CompositionOptions& options)
{
    const AVCodec* encoder = avcodec_find_encoder_by_name("libvpx");
    if (!encoder)
        failComposition("FFmpeg has no VP8 encoder (libvpx)");
    video_.reset(avcodec_alloc_context3(encoder));
    if (!video_)
        failComposition("out of memory");
    auto* codec = video_.get();
    codec->width = options.width;
    codec->height = options.height;
    codec->pix_fmt = AV_PIX_FMT_YUV420P;
    codec->time_base = {1, options.framesPerSecond};
    codec->framerate = {options.framesPerSecond, 1};
    codec->bit_rate = options.videoBitrate;
    // A keyframe every few seconds, so players can seek.
    codec->gop_size = options.framesPerSecond * 4;
    codec->thread_count = 2;
    av_opt_set(codec->priv_data, "deadline", "realtime", 0);
    av_opt_set_int(codec->priv_data, "cpu-used", 8, 0);
    videoStream_ = addStream(codec);
    if (const int error = avcodec_open2(codec, encoder, nullptr); error < 0)
        failComposition("cannot open the VP8 encoder", error);
    avcodec_parameters_from_context(videoStream_->codecpar, codec);
}

void ComposedFile::openAudio(const CompositionOptions& options)
{
    const AVCodec* encoder = avcodec_find_encoder_by_name("libopus");
    if (!encoder)
        failComposition("FFmpeg has no Opus encoder (libopus)");
    audio_.reset(avcodec_alloc_context3(encoder));
    if (!audio_)
        failComposition("out of memory");
    auto* codec = audio_.get();
    codec->sample_fmt = AV_SAMPLE_FMT_FLT;
    codec->sample_rate = kMixSampleRate;
    AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
    av_channel_layout_copy(&codec->ch_layout, &stereo);
    codec->bit_rate = options.audioBitrate;
    codec->time_base = {1, kMixSampleRate};
    audioStream_ = addStream(codec);
    if (const int error = avcodec_open2(codec, encoder, nullptr); error < 0)
        failComposition("cannot open the Opus encoder", error);
    avcodec_parameters_from_context(audioStream_->codecpar, codec);
}

} // namespace parley::recorder
