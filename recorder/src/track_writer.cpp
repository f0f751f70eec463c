#include <parley/recorder/track_writer.h>

#include "fd_io_context.h"

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/mem.h>
}

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace parley::recorder {

namespace {

std::string describe(int error)
{
    return describeAvError(error);
}

} // namespace

struct TrackWriter::State
{
    int fd = -1;
    AVFormatContext* format = nullptr;
    std::unique_ptr<FdIoContext> io;
    AVPacket* packet = nullptr;

    ~State()
    {
        av_packet_free(&packet);
        if (format)
            avformat_free_context(format);
        if (fd >= 0)
            ::close(fd);
    }
};

TrackWriter::TrackWriter(int fd, std::string name, TrackCodec codec, int width, int height,
                         std::span<const std::uint8_t> parameterSets)
    : state_(std::make_unique<State>()), name_(std::move(name))
{
    state_->fd = fd;
    auto fail = [this](const std::string& what, int error) {
        throw std::runtime_error("cannot write recording track " + name_ + ": " + what + " (" + describe(error) + ")");
    };
    if (isVideo(codec) && (width <= 0 || height <= 0))
        throw std::invalid_argument("a video track needs the width and height of its first keyframe");
    if (codec == TrackCodec::H264 && parameterSets.empty())
        throw std::invalid_argument("an H.264 track needs its SPS and PPS");
    const char* muxer = codec == TrackCodec::H264 ? "matroska" : "webm";
    if (const int error = avformat_alloc_output_context2(&state_->format, nullptr, muxer, nullptr); error < 0)
        fail(std::string("no ") + muxer + " muxer", error);
    state_->io = std::make_unique<FdIoContext>(fd, FdIoContext::Mode::Write);
    state_->format->pb = state_->io->get();
    state_->format->flags |= AVFMT_FLAG_CUSTOM_IO;

    AVStream* stream = avformat_new_stream(state_->format, nullptr);
    if (!stream)
        fail("out of memory", AVERROR(ENOMEM));
    stream->time_base = {1, 1000};
    AVCodecParameters* parameters = stream->codecpar;
    if (isVideo(codec)) {
        parameters->codec_type = AVMEDIA_TYPE_VIDEO;
        parameters->codec_id = codec == TrackCodec::Vp8 ? AV_CODEC_ID_VP8 : AV_CODEC_ID_H264;
        parameters->width = width;
        parameters->height = height;
        if (codec == TrackCodec::H264) {
            // Annex B parameter sets: the Matroska muxer turns them into the avcC header and
            // each access unit into length-prefixed NAL units.
            parameters->extradata =
                static_cast<std::uint8_t*>(av_mallocz(parameterSets.size() + AV_INPUT_BUFFER_PADDING_SIZE));
            if (!parameters->extradata)
                fail("out of memory", AVERROR(ENOMEM));
            std::memcpy(parameters->extradata, parameterSets.data(), parameterSets.size());
            parameters->extradata_size = static_cast<int>(parameterSets.size());
        }
    }
    else {
        parameters->codec_type = AVMEDIA_TYPE_AUDIO;
        parameters->codec_id = AV_CODEC_ID_OPUS;
        parameters->sample_rate = 48000;
        av_channel_layout_default(&parameters->ch_layout, 2);
        // RFC 7845 identification header: WebRTC's Opus is 48 kHz stereo, pre-skip 312.
        static const std::uint8_t head[19] = {'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 2, 0x38, 0x01,
                                              0x80, 0xBB, 0x00, 0x00, 0, 0, 0};
        parameters->extradata = static_cast<std::uint8_t*>(av_mallocz(sizeof head + AV_INPUT_BUFFER_PADDING_SIZE));
        if (!parameters->extradata)
            fail("out of memory", AVERROR(ENOMEM));
        std::memcpy(parameters->extradata, head, sizeof head);
        parameters->extradata_size = sizeof head;
    }
    if (const int error = avformat_write_header(state_->format, nullptr); error < 0)
        fail("cannot write the header", error);
    state_->packet = av_packet_alloc();
    if (!state_->packet)
        fail("out of memory", AVERROR(ENOMEM));
}

TrackWriter::~TrackWriter()
{
    if (!finished_) {
        try {
            finish();
        }
        catch (const std::exception&) {
            // Destroyed while unwinding from another error; the file keeps what was written.
        }
    }
}

void TrackWriter::write(std::span<const std::uint8_t> frame, std::int64_t milliseconds, bool keyframe)
{
    if (finished_)
        throw std::logic_error("recording track " + name_ + " is finished");
    if (frame.empty() || milliseconds < lastTime_ || milliseconds < 0) {
        ++framesRefused_;
        return;
    }
    AVPacket* packet = state_->packet;
    av_packet_unref(packet);
    // libavformat copies packet data it does not own before keeping it.
    packet->data = const_cast<std::uint8_t*>(frame.data());
    packet->size = static_cast<int>(frame.size());
    packet->pts = packet->dts = milliseconds;
    packet->stream_index = 0;
    packet->flags = keyframe ? AV_PKT_FLAG_KEY : 0;
    packet->time_base = {1, 1000};
    av_packet_rescale_ts(packet, {1, 1000}, state_->format->streams[0]->time_base);
    if (const int error = av_write_frame(state_->format, packet); error < 0)
        throw std::runtime_error("cannot write recording track " + name_ + ": " + describe(error));
    lastTime_ = milliseconds;
    ++framesWritten_;
}

void TrackWriter::finish()
{
    if (finished_)
        return;
    finished_ = true;
    const int error = av_write_trailer(state_->format);
    avio_flush(state_->io->get());
    if (error < 0)
        throw std::runtime_error("cannot finish recording track " + name_ + ": " + describe(error));
    if (::fsync(state_->fd) != 0)
        throw std::runtime_error("cannot sync recording track " + name_ + ": " + std::strerror(errno));
}

} // namespace parley::recorder
