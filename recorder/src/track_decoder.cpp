#include "track_decoder.h"

#include <parley/recorder/vp8_depacketizer.h>

#include <algorithm>
#include <stdexcept>
#include <unistd.h>

namespace parley::recorder {

TrackDecoder::TrackDecoder(int fd, std::string name)
    : name_(std::move(name)), io_(fd, FdIoContext::Mode::Read)
{
    const auto fail = [this](const std::string& what) {
        throw std::runtime_error("cannot read recording track " + name_ + ": " + what);
    };
    h_.format = avformat_alloc_context();
    h_.packet = av_packet_alloc();
    h_.frame = av_frame_alloc();
    if (!h_.format || !h_.packet || !h_.frame)
        fail("out of memory");
    h_.format->pb = io_.get();
    h_.format->flags |= AVFMT_FLAG_CUSTOM_IO;
    if (const int error = avformat_open_input(&h_.format, nullptr, nullptr, nullptr); error < 0)
        fail(describeAvError(error)); // avformat_open_input freed the context
    if (h_.format->nb_streams != 1)
        fail("it holds " + std::to_string(h_.format->nb_streams) + " streams instead of one");
    const AVStream* stream = h_.format->streams[0];
    timeBase_ = stream->time_base;
    const AVCodec* decoder = avcodec_find_decoder(stream->codecpar->codec_id);
    if (!decoder)
        fail("no decoder for its codec");
    h_.codec = avcodec_alloc_context3(decoder);
    if (!h_.codec)
        fail("out of memory");
    if (const int error = avcodec_parameters_to_context(h_.codec, stream->codecpar); error < 0)
        fail(describeAvError(error));
    h_.codec->thread_count = 1;
    h_.codec->pkt_timebase = timeBase_;
    if (const int error = avcodec_open2(h_.codec, decoder, nullptr); error < 0)
        fail(describeAvError(error));
}

void TrackDecoder::Handles::reset()
{
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&codec);
    avformat_close_input(&format);
}

TrackDecoder::Span TrackDecoder::packetSpan()
{
    Span span{-1, 0};
    while (av_read_frame(h_.format, h_.packet) >= 0) {
        const auto pts = h_.packet->pts != AV_NOPTS_VALUE ? h_.packet->pts : h_.packet->dts;
        if (pts != AV_NOPTS_VALUE) {
            const auto ms = av_rescale_q(pts, timeBase_, {1, 1000});
            span.firstMs = span.firstMs < 0 ? ms : std::min(span.firstMs, ms);
            span.lastMs = std::max(span.lastMs, ms);
        }
        av_packet_unref(h_.packet);
    }
    span.firstMs = std::max<std::int64_t>(span.firstMs, 0);
    return span;
}

int TrackDecoder::tallestPicture()
{
    if (h_.codec->codec_type != AVMEDIA_TYPE_VIDEO)
        return 0;
    int tallest = h_.codec->height;
    if (h_.codec->codec_id == AV_CODEC_ID_VP8)
        while (av_read_frame(h_.format, h_.packet) >= 0) {
            if (const auto size = vp8KeyframeSize({h_.packet->data, static_cast<std::size_t>(h_.packet->size)}))
                tallest = std::max(tallest, size->second);
            av_packet_unref(h_.packet);
        }
    return tallest;
}

AVFrame* TrackDecoder::next()
{
    if (!h_.codec)
        return nullptr; // closed
    for (;;) {
        const int received = avcodec_receive_frame(h_.codec, h_.frame);
        if (received == 0) {
            ++decoded_;
            if (h_.frame->best_effort_timestamp != AV_NOPTS_VALUE)
                frameMs_ = av_rescale_q(h_.frame->best_effort_timestamp, timeBase_, {1, 1000});
            return h_.frame;
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
        if (av_read_frame(h_.format, h_.packet) < 0) {
            // The end, or a truncated file (a crash mid-write): what was read is kept.
            draining_ = true;
            avcodec_send_packet(h_.codec, nullptr);
            continue;
        }
        const int sent = avcodec_send_packet(h_.codec, h_.packet);
        av_packet_unref(h_.packet);
        if (sent < 0 && sent != AVERROR(EAGAIN))
            ++errors_;
    }
}

} // namespace parley::recorder
