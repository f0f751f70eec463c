#include <parley/recorder/active_speaker.h>
#include <parley/recorder/composition_layout.h>
#include <parley/recorder/name_label.h>
#include <parley/recorder/recording_composer.h>

#include "fd_io_context.h"
#include "track_decoder.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <tuple>
#include <memory>
#include <stdexcept>
#include <unistd.h>

// Why not libavfilter (overlay + amix): its frame sync holds every other input's frames
// until a late track's first frame arrives, so someone joining an hour into a meeting would
// buffer an hour of decoded pictures. Here each output frame is built from the newest
// picture of each track, and memory stays a few frames whatever the length.

namespace parley::recorder {
namespace {

constexpr int kSampleRate = 48000;
constexpr int kChannels = 2;
// A track that sent no picture for this long (camera off, network gone) shows black.
constexpr std::int64_t kStalePictureMs = 2000;
// After a track's last picture (its participant left), the cell goes black this soon.
constexpr std::int64_t kEndedPictureMs = 500;
// Audio frames within this of where the previous one ended are taken as contiguous:
// millisecond timestamps cannot place 48 kHz samples exactly.
constexpr std::int64_t kAudioSlackSamples = kSampleRate / 100;

[[noreturn]] void fail(const std::string& what, int error = 0)
{
    throw std::runtime_error("cannot compose the recording: " + what +
                             (error ? " (" + describeAvError(error) + ")" : std::string()));
}

struct FrameDeleter
{
    void operator()(AVFrame* frame) const { av_frame_free(&frame); }
};
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;

FramePtr newFrame()
{
    FramePtr frame(av_frame_alloc());
    if (!frame)
        fail("out of memory");
    return frame;
}

// Cameras are cropped to fill their cell when the shapes differ by at most this factor
// (4:3 into 16:9 is 1.33); beyond it (a phone held upright) they are shown whole.
constexpr double kMaxCropFactor = 1.5;
// Small tiles over a picture get a dark outline this wide.
constexpr int kOutline = 2;
constexpr std::uint8_t kOutlineLuma = 48;

void fill(AVFrame& canvas, Cell cell, std::uint8_t luma)
{
    cell.x = std::clamp(cell.x, 0, canvas.width) & ~1;
    cell.y = std::clamp(cell.y, 0, canvas.height) & ~1;
    cell.width = std::min(cell.width, canvas.width - cell.x) & ~1;
    cell.height = std::min(cell.height, canvas.height - cell.y) & ~1;
    for (int y = 0; y < cell.height; ++y)
        std::memset(canvas.data[0] + (cell.y + y) * canvas.linesize[0] + cell.x, luma, static_cast<std::size_t>(cell.width));
    for (int plane = 1; plane < 3; ++plane)
        for (int y = 0; y < cell.height / 2; ++y)
            std::memset(canvas.data[plane] + (cell.y / 2 + y) * canvas.linesize[plane] + cell.x / 2, 128,
                        static_cast<std::size_t>(cell.width / 2));
}

/// One video track: the newest picture due at the current output time, drawn into whatever
/// cell the layout gives it, with its participant's name.
class VideoTrack
{
public:
    VideoTrack(const CompositionInput& input, std::size_t participant)
        : decoder_(input.fd, input.name), name_(input.displayName), participant_(participant),
          kind_(input.screen ? TileKind::Screen : TileKind::Camera), firstMs_(input.firstMs), shown_(newFrame()),
          pending_(newFrame())
    {}
    ~VideoTrack() { sws_freeContext(scaler_); }
    VideoTrack(const VideoTrack&) = delete;
    VideoTrack& operator=(const VideoTrack&) = delete;

    void advanceTo(std::int64_t ms)
    {
        for (;;) {
            if (!hasPending_) {
                if (ended_)
                    return;
                AVFrame* frame = decoder_.next();
                if (!frame) {
                    ended_ = true;
                    return;
                }
                av_frame_unref(pending_.get());
                av_frame_move_ref(pending_.get(), frame);
                pendingMs_ = decoder_.frameMs();
                hasPending_ = true;
            }
            if (pendingMs_ > ms)
                return;
            av_frame_unref(shown_.get());
            av_frame_move_ref(shown_.get(), pending_.get());
            shownMs_ = pendingMs_;
            hasShown_ = true;
            hasPending_ = false;
        }
    }

    /// Whether it has a picture to show at `ms` (not before its first, not long after its
    /// last: camera off, participant gone).
    bool visible(std::int64_t ms) const
    {
        return hasShown_ && ms - shownMs_ <= (ended_ ? kEndedPictureMs : kStalePictureMs) && shown_->width > 0 &&
               shown_->height > 0;
    }

    void paint(AVFrame& canvas, const Placement& placement, const std::string& font, std::string& labelError)
    {
        const Cell cell = placement.cell;
        if (!placement.large) {
            fill(canvas, {cell.x - kOutline, cell.y - kOutline, cell.width + 2 * kOutline, cell.height + 2 * kOutline},
                 kOutlineLuma);
            fill(canvas, cell, 16);
        }
        const AVFrame& picture = *shown_;
        const auto format = static_cast<AVPixelFormat>(picture.format);
        const AVPixFmtDescriptor* description = av_pix_fmt_desc_get(format);
        // The part of the picture shown: all of it, or its middle cut to the cell's shape.
        int sourceX = 0, sourceY = 0, sourceWidth = picture.width, sourceHeight = picture.height;
        const double pictureShape = static_cast<double>(picture.width) / picture.height;
        const double cellShape = static_cast<double>(cell.width) / cell.height;
        // Cropping moves the planes' start by whole samples: only for 8-bit YUV with a plane
        // per component (what VP8 and most H.264 decode to); others are shown whole.
        const bool croppable = description && description->comp[0].depth == 8 &&
                               av_pix_fmt_count_planes(format) >= 3 && !(description->flags & AV_PIX_FMT_FLAG_RGB);
        const bool crop = kind_ == TileKind::Camera && croppable &&
                          std::max(pictureShape / cellShape, cellShape / pictureShape) <= kMaxCropFactor;
        if (crop) {
            if (pictureShape > cellShape)
                sourceWidth = std::min(picture.width, std::max(2, static_cast<int>(picture.height * cellShape) & ~1));
            else
                sourceHeight = std::min(picture.height, std::max(2, static_cast<int>(picture.width / cellShape) & ~1));
            sourceX = ((picture.width - sourceWidth) / 2) & ~1;
            sourceY = ((picture.height - sourceHeight) / 2) & ~1;
        }
        const double scale = std::min(static_cast<double>(cell.width) / sourceWidth,
                                      static_cast<double>(cell.height) / sourceHeight);
        const int width = crop ? cell.width : std::max(2, static_cast<int>(sourceWidth * scale) & ~1);
        const int height = crop ? cell.height : std::max(2, static_cast<int>(sourceHeight * scale) & ~1);
        scaler_ = sws_getCachedContext(scaler_, sourceWidth, sourceHeight, format, width, height, AV_PIX_FMT_YUV420P,
                                       SWS_BILINEAR, nullptr, nullptr, nullptr);
        if (!scaler_)
            return; // a picture format swscale cannot convert: the cell stays black
        const std::uint8_t* source[4] = {picture.data[0], picture.data[1], picture.data[2], picture.data[3]};
        if (crop)
            for (int plane = 0; plane < 4 && picture.data[plane]; ++plane) {
                const bool chroma = plane == 1 || plane == 2;
                const int x = chroma ? sourceX >> description->log2_chroma_w : sourceX;
                const int y = chroma ? sourceY >> description->log2_chroma_h : sourceY;
                source[plane] = picture.data[plane] + y * picture.linesize[plane] + x;
            }
        const int x = (cell.x + (cell.width - width) / 2) & ~1;
        const int y = (cell.y + (cell.height - height) / 2) & ~1;
        if (x < 0 || y < 0 || x + width > canvas.width || y + height > canvas.height)
            return; // not inside the picture (arrangeTiles keeps cells inside; never write outside)
        std::uint8_t* planes[4] = {canvas.data[0] + y * canvas.linesize[0] + x,
                                   canvas.data[1] + (y / 2) * canvas.linesize[1] + x / 2,
                                   canvas.data[2] + (y / 2) * canvas.linesize[2] + x / 2, nullptr};
        sws_scale(scaler_, source, picture.linesize, 0, sourceHeight, planes, canvas.linesize);
        drawName(canvas, placement, font, labelError);
    }

    const TrackDecoder& decoder() const { return decoder_; }
    std::size_t participant() const { return participant_; }
    TileKind kind() const { return kind_; }
    std::int64_t firstMs() const { return firstMs_; }

private:
    void drawName(AVFrame& canvas, const Placement& placement, const std::string& font, std::string& labelError)
    {
        if (name_.empty() || font.empty() || labelFailed_)
            return;
        const Cell cell = placement.cell;
        auto& label = placement.large ? largeLabel_ : smallLabel_;
        // Sizes from the picture's height: 30 px on a 720-line picture, 16 on a small tile.
        const int fontSize = placement.large ? std::max(14, canvas.height / 24) : std::max(12, cell.height / 9);
        try {
            if (!label || labelWidth_[placement.large] != cell.width) {
                label = std::make_unique<NameLabel>(name_, font, fontSize, cell.width - fontSize);
                labelWidth_[placement.large] = cell.width;
            }
        }
        catch (const std::exception& e) {
            // This name is left out (the first reason is logged); the rest is composed.
            labelFailed_ = true;
            if (labelError.empty())
                labelError = e.what();
            return;
        }
        const int margin = fontSize / 2;
        // Large: the top-left corner (small tiles run along the bottom); small: the bottom.
        label->blend(canvas, cell.x + margin,
                     placement.large ? cell.y + margin : cell.y + cell.height - label->height() - margin / 2);
    }

    TrackDecoder decoder_;
    std::string name_;
    std::size_t participant_;
    TileKind kind_;
    std::int64_t firstMs_;
    FramePtr shown_;
    FramePtr pending_;
    SwsContext* scaler_ = nullptr;
    std::unique_ptr<NameLabel> largeLabel_;
    std::unique_ptr<NameLabel> smallLabel_;
    int labelWidth_[2] = {0, 0};
    bool labelFailed_ = false;
    std::int64_t shownMs_ = 0;
    std::int64_t pendingMs_ = 0;
    bool hasShown_ = false;
    bool hasPending_ = false;
    bool ended_ = false;
};

/// One audio track as 48 kHz stereo samples at their place on the common timeline.
class AudioTrack
{
public:
    AudioTrack(const CompositionInput& input, std::size_t participant)
        : decoder_(input.fd, input.name), participant_(participant)
    {}
    /// Samples at or after `endSample` are never needed (the composition ends there).
    void limit(std::int64_t endSample) { endSample_ = endSample; }
    ~AudioTrack() { swr_free(&resampler_); }
    AudioTrack(const AudioTrack&) = delete;
    AudioTrack& operator=(const AudioTrack&) = delete;

    /// Adds this track's samples for [start, start + count) into `mix` (interleaved stereo)
    /// and forgets everything before start + count. Returns the mean of their squares (how
    /// loud this track was there).
    double mixInto(float* mix, std::int64_t start, int count)
    {
        double energy = 0;
        const std::int64_t end = start + count;
        while (!ended_ && decodedUntil_ < end)
            decodeOne();
        for (const auto& chunk : chunks_) {
            const std::int64_t chunkEnd = chunk.start + static_cast<std::int64_t>(chunk.samples.size() / kChannels);
            for (std::int64_t sample = std::max(start, chunk.start); sample < std::min(end, chunkEnd); ++sample) {
                const auto from = static_cast<std::size_t>(sample - chunk.start) * kChannels;
                const auto to = static_cast<std::size_t>(sample - start) * kChannels;
                mix[to] += chunk.samples[from];
                mix[to + 1] += chunk.samples[from + 1];
                energy += chunk.samples[from] * chunk.samples[from] + chunk.samples[from + 1] * chunk.samples[from + 1];
            }
        }
        while (!chunks_.empty() &&
               chunks_.front().start + static_cast<std::int64_t>(chunks_.front().samples.size() / kChannels) <= end)
            chunks_.pop_front();
        return count > 0 ? energy / (count * kChannels) : 0.0;
    }

    std::size_t participant() const { return participant_; }

    const TrackDecoder& decoder() const { return decoder_; }

private:
    /// Decoded samples from `start` on; between chunks is silence, never stored, so a gap
    /// of any length (or a hostile timestamp jump) costs nothing.
    struct Chunk
    {
        std::int64_t start = 0;
        std::vector<float> samples; ///< interleaved stereo
    };

    void decodeOne()
    {
        AVFrame* frame = decoder_.next();
        if (!frame) {
            ended_ = true;
            return;
        }
        std::int64_t position = decoder_.frameMs() * (kSampleRate / 1000);
        if (position >= endSample_) {
            ended_ = true; // beyond the end of the composition
            return;
        }
        if (!resampler_) {
            AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
            if (swr_alloc_set_opts2(&resampler_, &stereo, AV_SAMPLE_FMT_FLT, kSampleRate, &frame->ch_layout,
                                    static_cast<AVSampleFormat>(frame->format), frame->sample_rate, 0, nullptr) < 0 ||
                swr_init(resampler_) < 0)
                fail("cannot convert the audio of a track");
        }
        const int room = swr_get_out_samples(resampler_, frame->nb_samples);
        Chunk chunk;
        chunk.samples.resize(static_cast<std::size_t>(std::max(room, 0)) * kChannels);
        auto* out = reinterpret_cast<std::uint8_t*>(chunk.samples.data());
        const int got = swr_convert(resampler_, &out, room, const_cast<const std::uint8_t**>(frame->extended_data),
                                    frame->nb_samples);
        if (got <= 0)
            return;
        chunk.samples.resize(static_cast<std::size_t>(got) * kChannels);
        if (started_ && std::abs(position - decodedUntil_) <= kAudioSlackSamples)
            position = decodedUntil_; // contiguous
        else if (started_ && position < decodedUntil_) {
            // Overlaps what is already there: keep only the new part.
            const auto skip = static_cast<std::size_t>(std::min<std::int64_t>(decodedUntil_ - position, got));
            chunk.samples.erase(chunk.samples.begin(), chunk.samples.begin() + static_cast<std::ptrdiff_t>(skip * kChannels));
            position += static_cast<std::int64_t>(skip);
        }
        started_ = true;
        chunk.start = position;
        decodedUntil_ = position + static_cast<std::int64_t>(chunk.samples.size() / kChannels);
        if (!chunk.samples.empty())
            chunks_.push_back(std::move(chunk));
    }

    TrackDecoder decoder_;
    std::size_t participant_;
    std::int64_t endSample_ = std::numeric_limits<std::int64_t>::max();
    SwrContext* resampler_ = nullptr;
    std::deque<Chunk> chunks_;
    std::int64_t decodedUntil_ = 0;
    bool started_ = false;
    bool ended_ = false;
};

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
    ComposedFile(int fd, const CompositionOptions& options, bool video, bool audio)
        : fd_(fd), io_(fd, FdIoContext::Mode::Write), packet_(av_packet_alloc())
    {
        if (!packet_.get())
            fail("out of memory");
        AVFormatContext* format = nullptr;
        if (const int error = avformat_alloc_output_context2(&format, nullptr, "webm", nullptr); error < 0)
            fail("no WebM muxer", error);
        format_.reset(format);
        format_->pb = io_.get();
        format_->flags |= AVFMT_FLAG_CUSTOM_IO;
        if (video)
            openVideo(options);
        if (audio)
            openAudio(options);
        if (const int error = avformat_write_header(format_.get(), nullptr); error < 0)
            fail("cannot write the header", error);
    }

    ComposedFile(const ComposedFile&) = delete;
    ComposedFile& operator=(const ComposedFile&) = delete;

    AVCodecContext* video() const { return video_.get(); }
    AVCodecContext* audio() const { return audio_.get(); }

    /// Encodes `frame` (nullptr flushes) and writes what the encoder gives back.
    void encode(AVCodecContext* codec, AVFrame* frame)
    {
        const AVStream* stream = codec == video_.get() ? videoStream_ : audioStream_;
        if (const int error = avcodec_send_frame(codec, frame); error < 0)
            fail("the encoder refused a frame", error);
        for (;;) {
            const int received = avcodec_receive_packet(codec, packet_.get());
            if (received == AVERROR(EAGAIN) || received == AVERROR_EOF)
                return;
            if (received < 0)
                fail("the encoder failed", received);
            packet_->stream_index = stream->index;
            av_packet_rescale_ts(packet_.get(), codec->time_base, stream->time_base);
            if (const int error = av_interleaved_write_frame(format_.get(), packet_.get()); error < 0)
                fail("cannot write the composed file", error);
        }
    }

    void finish()
    {
        if (video_)
            encode(video_.get(), nullptr);
        if (audio_)
            encode(audio_.get(), nullptr);
        const int error = av_write_trailer(format_.get());
        avio_flush(io_.get());
        if (error < 0)
            fail("cannot finish the composed file", error);
        if (::fsync(fd_) != 0)
            fail(std::string("cannot sync the composed file: ") + std::strerror(errno));
    }

private:
    AVStream* addStream(AVCodecContext* codec)
    {
        if (format_->oformat->flags & AVFMT_GLOBALHEADER)
            codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        AVStream* stream = avformat_new_stream(format_.get(), nullptr);
        if (!stream)
            fail("out of memory");
        stream->time_base = codec->time_base;
        return stream;
    }

    void openVideo(const CompositionOptions& options)
    {
        const AVCodec* encoder = avcodec_find_encoder_by_name("libvpx");
        if (!encoder)
            fail("FFmpeg has no VP8 encoder (libvpx)");
        video_.reset(avcodec_alloc_context3(encoder));
        if (!video_)
            fail("out of memory");
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
            fail("cannot open the VP8 encoder", error);
        avcodec_parameters_from_context(videoStream_->codecpar, codec);
    }

    void openAudio(const CompositionOptions& options)
    {
        const AVCodec* encoder = avcodec_find_encoder_by_name("libopus");
        if (!encoder)
            fail("FFmpeg has no Opus encoder (libopus)");
        audio_.reset(avcodec_alloc_context3(encoder));
        if (!audio_)
            fail("out of memory");
        auto* codec = audio_.get();
        codec->sample_fmt = AV_SAMPLE_FMT_FLT;
        codec->sample_rate = kSampleRate;
        AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
        av_channel_layout_copy(&codec->ch_layout, &stereo);
        codec->bit_rate = options.audioBitrate;
        codec->time_base = {1, kSampleRate};
        audioStream_ = addStream(codec);
        if (const int error = avcodec_open2(codec, encoder, nullptr); error < 0)
            fail("cannot open the Opus encoder", error);
        avcodec_parameters_from_context(audioStream_->codecpar, codec);
    }

    int fd_;
    FdIoContext io_;
    std::unique_ptr<AVFormatContext, FormatDeleter> format_;
    PacketPtr packet_;
    CodecPtr video_;
    CodecPtr audio_;
    AVStream* videoStream_ = nullptr;
    AVStream* audioStream_ = nullptr;
};

void clearToBlack(AVFrame& canvas)
{
    for (int y = 0; y < canvas.height; ++y)
        std::memset(canvas.data[0] + y * canvas.linesize[0], 16, static_cast<std::size_t>(canvas.width));
    for (int plane = 1; plane < 3; ++plane)
        for (int y = 0; y < canvas.height / 2; ++y)
            std::memset(canvas.data[plane] + y * canvas.linesize[plane], 128, static_cast<std::size_t>(canvas.width / 2));
}

/// The picture size for what was recorded: no larger than the biggest source, in steps of
/// the configured size (a quarter, half, all) keeping its shape.
std::pair<int, int> outputSize(int tallest, const CompositionOptions& options)
{
    for (const int divisor : {4, 2}) {
        const int height = (options.height / divisor) & ~1;
        if (height >= 180 && tallest <= height * 9 / 8) // a source a little taller is scaled down, not up
            return {(options.width / divisor) & ~1, height};
    }
    return {options.width, options.height};
}

} // namespace

CompositionResult composeRecording(const std::vector<CompositionInput>& inputs, int outputFd,
                                   const CompositionOptions& options, const std::function<void(double)>& progress)
{
    if (options.width < 64 || options.height < 64 || options.width % 2 || options.height % 2 ||
        options.framesPerSecond < 1 || options.framesPerSecond > 60)
        throw std::invalid_argument("composition size must be even and at least 64x64, at 1 to 60 frames a second");
    CompositionResult result;
    std::int64_t lastMs = 0;
    int tallest = 0;
    std::map<std::string, std::size_t> participants;
    std::vector<std::unique_ptr<VideoTrack>> video;
    std::vector<std::unique_ptr<AudioTrack>> audio;
    for (const auto& given : inputs) {
        auto input = given;
        if (input.lastMs < 0) {
            // Not known (the recorder was cut short): read from the file's packets.
            const auto span = TrackDecoder(input.fd, input.name).packetSpan();
            input.firstMs = span.firstMs;
            input.lastMs = span.lastMs;
        }
        if (options.maxDurationMs > 0)
            input.lastMs = std::min(input.lastMs, options.maxDurationMs);
        lastMs = std::max(lastMs, input.lastMs);
        // Tracks without a participant stand for one of their own.
        const auto participant =
            participants.try_emplace(input.participant.empty() ? "\n" + input.name : input.participant, participants.size())
                .first->second;
        if (isVideo(input.codec)) {
            // Read through once (packets only) for its largest picture.
            tallest = std::max(tallest, TrackDecoder(input.fd, input.name).tallestPicture());
            video.push_back(std::make_unique<VideoTrack>(input, participant));
        }
        else
            audio.push_back(std::make_unique<AudioTrack>(input, participant));
        if (progress)
            progress(0.0); // a chance to cancel between opening slow files
    }
    if (video.empty() && audio.empty())
        fail("the recording has no tracks");
    // In the order they started: of several shares, the newest is shown large.
    std::stable_sort(video.begin(), video.end(), [](const auto& a, const auto& b) { return a->firstMs() < b->firstMs(); });
    result.videoTracks = static_cast<int>(video.size());
    result.audioTracks = static_cast<int>(audio.size());

    CompositionOptions sized = options;
    if (!video.empty())
        std::tie(sized.width, sized.height) = outputSize(tallest, options);
    result.width = video.empty() ? 0 : sized.width;
    result.height = video.empty() ? 0 : sized.height;
    ComposedFile file(outputFd, sized, !video.empty(), !audio.empty());
    const int fps = options.framesPerSecond;
    // The last picture or audio frame lasts until the next would have come.
    const std::int64_t durationMs = lastMs + 1000 / fps;
    const std::int64_t frameCount = (durationMs * fps + 999) / 1000;
    const std::int64_t totalSamples = durationMs * (kSampleRate / 1000);
    for (auto& track : audio)
        track->limit(totalSamples);

    FramePtr canvas;
    if (file.video()) {
        canvas = newFrame();
        canvas->format = AV_PIX_FMT_YUV420P;
        canvas->width = sized.width;
        canvas->height = sized.height;
        if (av_frame_get_buffer(canvas.get(), 0) < 0)
            fail("out of memory");
    }
    FramePtr sound;
    std::vector<float> mix;
    if (file.audio()) {
        sound = newFrame();
        sound->format = AV_SAMPLE_FMT_FLT;
        sound->sample_rate = kSampleRate;
        AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
        av_channel_layout_copy(&sound->ch_layout, &stereo);
        sound->nb_samples = file.audio()->frame_size > 0 ? file.audio()->frame_size : 960;
        if (av_frame_get_buffer(sound.get(), 0) < 0)
            fail("out of memory");
        mix.resize(static_cast<std::size_t>(sound->nb_samples) * kChannels);
    }

    ActiveSpeaker speaker(participants.size());
    std::vector<double> loudness(participants.size());
    // The participants with sound, each once (someone may have several audio tracks).
    std::vector<std::size_t> speaking;
    for (const auto& track : audio)
        if (std::find(speaking.begin(), speaking.end(), track->participant()) == speaking.end())
            speaking.push_back(track->participant());
    std::vector<TileKind> tiles;
    std::vector<VideoTrack*> shown;
    VideoTrack* lastLarge = nullptr;
    std::int64_t audioPosition = 0;
    // Every second of output: often enough to cancel soon, whatever the length.
    const std::int64_t progressEvery = fps;
    for (std::int64_t index = 0; index < frameCount; ++index) {
        const std::int64_t ms = index * 1000 / fps;
        if (canvas) {
            if (av_frame_make_writable(canvas.get()) < 0)
                fail("out of memory");
            clearToBlack(*canvas);
            tiles.clear();
            shown.clear();
            std::optional<std::size_t> speakerTile;
            std::optional<std::size_t> lastLargeTile;
            for (auto& track : video) {
                track->advanceTo(ms);
                if (!track->visible(ms))
                    continue;
                if (track->kind() == TileKind::Camera && track->participant() == speaker.speaker())
                    speakerTile = tiles.size();
                if (track.get() == lastLarge)
                    lastLargeTile = tiles.size();
                tiles.push_back(track->kind());
                shown.push_back(track.get());
            }
            // A speaker without a camera leaves the picture to whoever had it.
            const auto placements = arrangeTiles(tiles, speakerTile ? speakerTile : lastLargeTile, sized.width, sized.height);
            for (const auto& placement : placements) {
                shown[placement.tile]->paint(*canvas, placement, options.labelFont, result.labelError);
                if (placement.large)
                    lastLarge = shown[placement.tile];
            }
            canvas->pts = index;
            file.encode(file.video(), canvas.get());
        }
        if (sound) {
            const std::int64_t audioUntil = std::min(totalSamples, (index + 1) * kSampleRate / fps);
            while (audioPosition < audioUntil) {
                std::fill(mix.begin(), mix.end(), 0.0f);
                std::fill(loudness.begin(), loudness.end(), 0.0);
                for (auto& track : audio) {
                    auto& level = loudness[track->participant()];
                    level = std::max(level, track->mixInto(mix.data(), audioPosition, sound->nb_samples));
                }
                for (const auto participant : speaking)
                    speaker.hear(participant, loudness[participant], audioPosition * 1000 / kSampleRate);
                if (av_frame_make_writable(sound.get()) < 0)
                    fail("out of memory");
                auto* samples = reinterpret_cast<float*>(sound->data[0]);
                for (std::size_t i = 0; i < mix.size(); ++i)
                    samples[i] = std::clamp(mix[i], -1.0f, 1.0f);
                sound->pts = audioPosition;
                file.encode(file.audio(), sound.get());
                audioPosition += sound->nb_samples;
            }
        }
        if (progress && index % progressEvery == 0)
            progress(static_cast<double>(index) / static_cast<double>(frameCount));
    }
    file.finish();
    for (const auto& track : video) {
        result.framesDecoded += track->decoder().framesDecoded();
        result.decodeErrors += track->decoder().errors();
    }
    for (const auto& track : audio) {
        result.framesDecoded += track->decoder().framesDecoded();
        result.decodeErrors += track->decoder().errors();
    }
    result.durationMs = durationMs;
    result.speakerChanges = speaker.changes();
    if (progress)
        progress(1.0);
    return result;
}

} // namespace parley::recorder
