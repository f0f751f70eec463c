#include "track_decoder.h"

#include <stdexcept>

namespace parley::recorder {

TrackDecoder::TrackDecoder(int fd, std::string name) : name_(std::move(name)), io_(fd, FdIoContext::Mode::Read)
{
    const auto fail = [this](const std::string& what) {
        throw std::runtime_error("cannot read recording track " + name_ + ": " + what);
    };
    format_ = avformat_alloc_context();
    packet_ = av_packet_alloc();
    frame_ = av_frame_alloc();
    if (!format_ || !packet_ || !frame_)
        fail("out of memory");
    format_->pb = io_.get();
    format_->flags |= AVFMT_FLAG_CUSTOM_IO;
    if (const int error = avformat_open_input(&format_, nullptr, nullptr, nullptr); error < 0)
        fail(describeAvError(error)); // avformat_open_input freed the context
    if (format_->nb_streams != 1)
        fail("it holds " + std::to_string(format_->nb_streams) + " streams instead of one");
    const AVStream* stream = format_->streams[0];
    timeBase_ = stream->time_base;
    const AVCodec* decoder = avcodec_find_decoder(stream->codecpar->codec_id);
    if (!decoder)
        fail("no decoder for its codec");
    codec_ = avcodec_alloc_context3(decoder);
    if (!codec_)
        fail("out of memory");
    if (const int error = avcodec_parameters_to_context(codec_, stream->codecpar); error < 0)
        fail(describeAvError(error));
    codec_->thread_count = 1;
    codec_->pkt_timebase = timeBase_;
    if (const int error = avcodec_open2(codec_, decoder, nullptr); error < 0)
        fail(describeAvError(error));
}

TrackDecoder::~TrackDecoder()
{
    av_frame_free(&frame_);
    av_packet_free(&packet_);
    avcodec_free_context(&codec_);
    avformat_close_input(&format_);
}

AVFrame* TrackDecoder::next()
{
    for (;;) {
        const int received = avcodec_receive_frame(codec_, frame_);
        if (received == 0) {
            ++decoded_;
            if (frame_->best_effort_timestamp != AV_NOPTS_VALUE)
                frameMs_ = av_rescale_q(frame_->best_effort_timestamp, timeBase_, {1, 1000});
            return frame_;
        }
        if (received == AVERROR_EOF)
            return nullptr;
        if (received != AVERROR(EAGAIN)) {
            ++errors_;
            if (draining_)
                return nullptr;
        }
        if (draining_)
            return nullptr;
        if (av_read_frame(format_, packet_) < 0) {
            // The end, or a truncated file (a crash mid-write): what was read is kept.
            draining_ = true;
            avcodec_send_packet(codec_, nullptr);
            continue;
        }
        const int sent = avcodec_send_packet(codec_, packet_);
        av_packet_unref(packet_);
        if (sent < 0 && sent != AVERROR(EAGAIN))
            ++errors_;
    }
}

} // namespace parley::recorder
