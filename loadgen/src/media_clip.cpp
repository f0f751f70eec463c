#include <parley/loadgen/media_clip.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include <memory>
#include <stdexcept>

namespace parley::loadgen {
namespace {

struct CloseInput
{
    void operator()(AVFormatContext* context) const { avformat_close_input(&context); }
};
struct FreePacket
{
    void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};

/// The packetizer cuts a frame into at most 128 packets of about 1,180 bytes.
constexpr std::size_t kMaxFrameBytes = 120'000;
constexpr std::size_t kMaxFrames = 10 * 60 * 120;

} // namespace

double MediaClip::videoBitsPerSecond() const
{
    if (video.empty())
        return 0;
    std::size_t bytes = 0;
    for (const auto& frame : video)
        bytes += frame.data.size();
    return static_cast<double>(bytes) * 8 * fps / static_cast<double>(video.size());
}

MediaClip loadMediaClip(const std::string& path)
{
    AVFormatContext* raw = nullptr;
    if (avformat_open_input(&raw, path.c_str(), nullptr, nullptr) < 0)
        throw std::runtime_error("cannot open the media clip " + path);
    std::unique_ptr<AVFormatContext, CloseInput> input(raw);
    if (avformat_find_stream_info(input.get(), nullptr) < 0)
        throw std::runtime_error(path + " is not a media file FFmpeg can read");
    int videoStream = -1, audioStream = -1;
    MediaClip clip;
    for (unsigned i = 0; i < input->nb_streams; ++i) {
        const auto* stream = input->streams[i];
        if (stream->codecpar->codec_id == AV_CODEC_ID_VP8 && videoStream < 0) {
            videoStream = static_cast<int>(i);
            clip.width = stream->codecpar->width;
            clip.height = stream->codecpar->height;
            if (stream->avg_frame_rate.num > 0 && stream->avg_frame_rate.den > 0)
                clip.fps = std::max(1, static_cast<int>(av_q2d(stream->avg_frame_rate) + 0.5));
        } else if (stream->codecpar->codec_id == AV_CODEC_ID_OPUS && audioStream < 0) {
            audioStream = static_cast<int>(i);
        }
    }
    if (videoStream < 0)
        throw std::runtime_error(path + " has no VP8 video");
    std::unique_ptr<AVPacket, FreePacket> packet(av_packet_alloc());
    while (av_read_frame(input.get(), packet.get()) >= 0) {
        const bool video = packet->stream_index == videoStream;
        const bool audio = packet->stream_index == audioStream;
        if ((video || audio) && packet->size > 0) {
            if (static_cast<std::size_t>(packet->size) > kMaxFrameBytes)
                throw std::runtime_error(path + " has a frame of " + std::to_string(packet->size) +
                                         " bytes; the packetizer takes at most " + std::to_string(kMaxFrameBytes));
            if (audio) {
                const auto* stream = input->streams[audioStream];
                const auto duration = av_rescale_q(packet->duration, stream->time_base, AVRational{1, 48000});
                if (packet->duration > 0 && duration != 960)
                    throw std::runtime_error(path + ": Opus packets must be 20 ms (ffmpeg -frame_duration 20)");
            }
            MediaClip::Frame frame;
            frame.data.assign(packet->data, packet->data + packet->size);
            frame.keyframe = (packet->flags & AV_PKT_FLAG_KEY) != 0;
            (video ? clip.video : clip.audio).push_back(std::move(frame));
            if (clip.video.size() > kMaxFrames || clip.audio.size() > kMaxFrames * 3)
                throw std::runtime_error(path + " is longer than the 10 minutes a clip may be");
        }
        av_packet_unref(packet.get());
    }
    if (clip.video.empty() || !clip.video.front().keyframe)
        throw std::runtime_error(path + ": its video must start with a keyframe");
    return clip;
}

} // namespace parley::loadgen
